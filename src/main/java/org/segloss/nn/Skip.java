package org.segloss.nn;

import org.segloss.autograd.Var;

/** U-Net skip connections. */
public final class Skip {
    private Skip() {}

    /**
     * Concatenates [B, C_i, D, H, W] volumes along the channel axis into [B, sum C_i, D, H, W]
     * ({@code Var.concat(1, ...)}; the gradient is split back by channel ranges).
     */
    public static Var concatChannels(Var... parts) {
        if (parts.length == 0) throw new IllegalArgumentException("Skip.concatChannels: parts must not be empty");
        Checks.volume("Skip.concatChannels", "parts[0]", parts[0].shape(), -1);
        for (int i = 1; i < parts.length; i++) {
            Checks.volume("Skip.concatChannels", "parts[" + i + "]", parts[i].shape(), -1);
            for (int a : new int[] {0, 2, 3, 4}) {
                if (parts[i].shape().dim(a) != parts[0].shape().dim(a)) {
                    throw new IllegalArgumentException("Skip.concatChannels: parts[" + i + "] must match parts[0] " + parts[0].shape()
                            + " on every axis but 1, got " + parts[i].shape());
                }
            }
        }
        return Var.concat(1, parts);
    }
}
