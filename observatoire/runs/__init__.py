"""How a run spends its resources: day workers, run sizing and job costs."""
