"""Running a session's experiments: the plan (which experiments the collected claims need, in
which order) and the executors that run it.

- ``plan``: the plan, and the local executors (lazily in this process; threads and CUDA streams
  on one GPU).
- ``jobs``: one experiment as plain data (``JobSpec``) and ``run_job``, which trains it in any
  process.
- ``ray_executor``: the plan as Ray tasks (the optional extra ``ray``).

May import: ``suite.experiments`` and everything below it (``suite.train``, ``suite.data``,
``suite.profiles``).
"""
