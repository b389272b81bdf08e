"""`auxbench resources`: training-step time, throughput, peak memory and FLOPs per method and length."""
