"""
Adam's constants and the learning-rate schedule, as the engine has them (src/model/training/
optimizer.ts, lrSchedule.ts): `constant` keeps the base rate (halved on dev plateaus by the training
loop); `inverse-sqrt` warms up linearly to it over warmupSteps, then decays as sqrt(warmupSteps / step).
A function of the optimizer step, kept in every checkpoint ("adam"), so a resumed run goes on exactly.
"""

# What checkpoints without "adam" (format 1) were trained with.
FORMAT1_ADAM = {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "schedule": {"kind": "constant", "warmupSteps": 0}}


def adam_settings(train):
    """The engine's adamSettings(train settings); absent fields have their format-1 meaning."""
    return {"beta1": train.get("adamBeta1", 0.9), "beta2": train.get("adamBeta2", 0.999), "epsilon": 1e-8,
            "schedule": {"kind": train.get("lrSchedule", "constant"), "warmupSteps": train.get("warmupSteps", 0)}}


def lr_factor(schedule, step):
    """The factor on the base rate at optimizer step `step` (1 = the first update)."""
    if schedule["kind"] == "constant":
        return 1.0
    t = max(1, step)
    w = schedule["warmupSteps"]
    return t / w if t < w else (w / t) ** 0.5
