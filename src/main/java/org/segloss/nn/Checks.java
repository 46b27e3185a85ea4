package org.segloss.nn;

import org.segloss.tensor.Shape;

/** Argument checks shared by the layers; messages name the layer, the parameter, expected vs actual. */
final class Checks {
    private Checks() {}

    /** x must be [B, channels, D, H, W] (channels < 0: any). */
    static void volume(String layer, String param, Shape s, int channels) {
        if (s.rank() != 5) {
            throw new IllegalArgumentException(layer + ": " + param + " must have rank 5 [B, C, D, H, W], got shape " + s);
        }
        if (channels >= 0 && s.dim(1) != channels) {
            throw new IllegalArgumentException(layer + ": " + param + " must have " + channels + " channels (axis 1), got "
                    + s.dim(1) + " in shape " + s);
        }
        for (int a = 0; a < 5; a++) {
            if (s.dim(a) <= 0) throw new IllegalArgumentException(layer + ": " + param + " must have no empty axis, got shape " + s);
        }
    }

    static void shape(String layer, String param, Shape s, Shape expected) {
        if (!s.equals(expected)) {
            throw new IllegalArgumentException(layer + ": " + param + " must have shape " + expected + ", got " + s);
        }
    }

    static int positive(String layer, String param, int v) {
        if (v <= 0) throw new IllegalArgumentException(layer + ": " + param + " must be > 0, got " + v);
        return v;
    }
}
