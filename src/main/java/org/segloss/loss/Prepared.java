package org.segloss.loss;

import java.util.function.Supplier;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * The normalised operands of a segmentation loss, after validation, activation, one-hot
 * encoding, ignore masking and background removal.
 *
 * <p>{@link #probs()} is computed on first use and then kept: a loss that works from the logits
 * directly (the fused softmax statistics of {@link RegionStatistics}) never pays for the
 * full-size activation.
 */
public final class Prepared {
    private Supplier<Var> probsSupplier;
    private Var probs;
    private Supplier<Tensor> fullTargetSupplier;
    private Tensor fullTarget, target;
    private final Tensor valid;
    private final LabelTensor labels;
    private final Var input;
    private final int channelOffset;
    private boolean finiteCheckPending;

    /**
     * @param probs    probabilities {@code [B, C', *spatial]} (C' = C, or C - 1 without background);
     *                 zero at ignored voxels
     * @param target   one-hot or soft target {@code [B, C', *spatial]}; zero at ignored voxels
     * @param valid    {@code [B, 1, *spatial]}: 1 where a voxel counts, 0 where it is ignored; null
     *                 when nothing is ignored
     * @param labels   the label map {@code [B, *spatial]} when the target was given as labels
     *                 (ignored voxels keep the ignore value), else null
     * @param input    the raw input {@code [B, C, *spatial]} (logits, or probabilities for NONE)
     * @param channelOffset 1 when the background channel was dropped, else 0
     */
    public Prepared(Var probs, Tensor target, Tensor valid, LabelTensor labels, Var input, int channelOffset) {
        this(() -> probs, () -> target, valid, labels, input, channelOffset);
        this.target = target;
        this.fullTarget = channelOffset == 0 ? target : null;   // unknown when only the sliced target was given
        this.fullTargetSupplier = null;
    }

    /**
     * As the public constructor, with the probabilities and the full target {@code [B, C, *spatial]}
     * (before the background is dropped) made on first use: a fused path that works from the
     * logits and the label map never builds either.
     */
    Prepared(Supplier<Var> probs, Supplier<Tensor> fullTarget, Tensor valid, LabelTensor labels, Var input,
             int channelOffset) {
        this.probsSupplier = probs;
        this.fullTargetSupplier = fullTarget;
        this.valid = valid;
        this.labels = labels;
        this.input = input;
        this.channelOffset = channelOffset;
    }

    /** Probabilities {@code [B, C', *spatial]}, zero at ignored voxels (computed once, on first use). */
    public Var probs() {
        if (probs == null) {
            probs = probsSupplier.get();
            probsSupplier = null;
        }
        return probs;
    }

    /** The target {@code [B, C', *spatial]}, zero at ignored voxels (made once, on first use). */
    public Tensor target() {
        if (target == null) {
            Tensor full = fullTarget();
            target = channelOffset == 0 ? full : full.slice(1, channelOffset, full.dim(1));
        }
        return target;
    }

    /** The target before the background was dropped, {@code [B, C, *spatial]}; null if unknown. */
    Tensor fullTarget() {
        if (fullTarget == null && fullTargetSupplier != null) {
            fullTarget = fullTargetSupplier.get();
            fullTargetSupplier = null;
        }
        return fullTarget;
    }

    /** {@code [B, 1, *spatial]}: 1 where a voxel counts, 0 where ignored; null when nothing is ignored. */
    public Tensor valid() { return valid; }

    /** The label map {@code [B, *spatial]} when the target was given as labels, else null. */
    public LabelTensor labels() { return labels; }

    /** The raw input {@code [B, C, *spatial]} (logits, or probabilities for NONE). */
    public Var input() { return input; }

    /** The input's finiteness is still to be checked: by a fused pass over it, else by a scan at the end of forward. */
    void deferFiniteCheck() { finiteCheckPending = true; }

    /** Whether the finiteness check of the input is still to be made. */
    boolean finiteCheckPending() { return finiteCheckPending; }

    /** A fused pass over the input has checked that it is finite (or thrown). */
    void finiteChecked() { finiteCheckPending = false; }

    /** 1 when the background channel was dropped, else 0. */
    public int channelOffset() { return channelOffset; }

    /** Batch size B. */
    public int batch() { return input.shape().dim(0); }

    /** Classes kept, C'. */
    public int classes() { return input.shape().dim(1) - channelOffset; }

    /** The spatial axes of [B, C', *spatial]: 2..rank-1. */
    public int[] spatialAxes() {
        int r = input.shape().rank();
        int[] ax = new int[r - 2];
        for (int i = 0; i < ax.length; i++) ax[i] = i + 2;
        return ax;
    }

    /** The axes a per-item statistic sums over: spatial, plus the batch axis when pooling. */
    public int[] statisticAxes(boolean batchPooled) {
        int[] sp = spatialAxes();
        if (!batchPooled) return sp;
        int[] ax = new int[sp.length + 1];
        ax[0] = 0;
        System.arraycopy(sp, 0, ax, 1, sp.length);
        return ax;
    }
}
