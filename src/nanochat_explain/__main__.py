from nanochat_explain.entry import main

main()
