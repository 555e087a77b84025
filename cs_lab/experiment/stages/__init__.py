"""The experiment pipeline, one module per stage with typed inputs and outputs:

    prepare    spec -> Windows (one PreparedTask per rolling-origin test window)
    tune       model spec + the earliest window's validation split -> Tuned (params, trials)
    fit        params + a training period (+ seed) -> a fitted Recommender (cached)
    recommend  model + an eval set (its exclusion policy) -> id arrays (cached)
    evaluate   -> ModelScores: validation per window, test per window and seed (repeat / explore)
    select     ModelScores of every model -> Selection (winner by validation objective, its direction)
    compare    -> Comparison: leaderboard (mean and spread over windows), the declared family
               (each model vs each baseline on the objective, simultaneous intervals), secondary metrics,
               per-window verdict
    simulate   the selected model's test recommendations -> offline A/B test
    track      everything above -> MLflow (parent run per model, `comparison`, `ab_simulation`)

`cs_lab.experiment.runner.ExperimentRunner` wires them together; `RunContext` carries the spec, the
tracker, the options and the lineage tags through them.
"""
