from nanochat_explain.cli import main

main()
