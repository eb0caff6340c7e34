"""The agent: the loop, its tools, its prompts and the models behind the `Model` seam."""
