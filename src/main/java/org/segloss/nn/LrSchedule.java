package org.segloss.nn;

/**
 * A learning rate as a function of the epoch (or step) e in [0, max]. Use:
 * {@code opt.lr(schedule.lr(epoch))} at the start of each epoch.
 */
@FunctionalInterface
public interface LrSchedule {
    float lr(int epoch);

    /** nnU-Net's polynomial decay: base (1 - e / max)^exponent (exponent 0.9 there). */
    static LrSchedule poly(float base, int max, double exponent) {
        check("poly", base, max);
        return e -> (float) (base * Math.pow(1.0 - (double) clamp("poly", e, max) / max, exponent));
    }

    static LrSchedule poly(float base, int max) {
        return poly(base, max, 0.9);
    }

    /** Cosine annealing: min + (base - min) (1 + cos(pi e / max)) / 2. */
    static LrSchedule cosine(float base, int max, float min) {
        check("cosine", base, max);
        if (!(min >= 0 && min <= base)) throw new IllegalArgumentException("LrSchedule.cosine: min must be in [0, base], got " + min);
        return e -> (float) (min + (base - min) * (1 + Math.cos(Math.PI * clamp("cosine", e, max) / max)) / 2);
    }

    private static void check(String name, float base, int max) {
        if (!(base >= 0)) throw new IllegalArgumentException("LrSchedule." + name + ": base must be >= 0, got " + base);
        if (max <= 0) throw new IllegalArgumentException("LrSchedule." + name + ": max must be > 0, got " + max);
    }

    private static int clamp(String name, int e, int max) {
        if (e < 0 || e > max) throw new IllegalArgumentException("LrSchedule." + name + ": epoch must be in [0, " + max + "], got " + e);
        return e;
    }
}
