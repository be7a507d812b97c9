"""The demo county 青岚县: its units, its plan, its workbooks; `python -m pipelines.demo` loads it."""
