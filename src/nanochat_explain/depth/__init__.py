"""The model at a depth: nanochat's own formulas run by a restricted interpreter that never
imports or executes nanochat, in the phases the training script runs them."""
