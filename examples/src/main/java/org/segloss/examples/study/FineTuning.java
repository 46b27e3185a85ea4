package org.segloss.examples.study;

import org.segloss.autograd.Var;
import org.segloss.examples.train.EpochAware;
import org.segloss.examples.train.RunConfig.LossSpec;
import org.segloss.loss.Loss;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A loss that the papers use to fine-tune, run inside one run of the study's budget: a start loss
 * (cross-entropy) for the first {@code floor(E/2)} epochs, then the fine-tuning loss
 * (Lovász-Softmax, Berman et al., CVPR 2018, arXiv 1705.08790) for the remaining ones, which
 * therefore starts from the cross-entropy-trained weights.
 *
 * <p><b>Why inside one run.</b> The run keeps the seed's initial weights, the seed's patch
 * sequence, the optimizer (AdamW, its moments carried over) and the learning-rate schedule of
 * every other run, and the same total number of optimizer steps: its first half is, bit for bit,
 * the first half of the paired {@code cross-entropy} run of the same seed (a study test checks
 * this), and the second half fine-tunes those weights. Fine-tuning a separately finished
 * cross-entropy run instead would give the Lovász run 1.5 times the budget of the others and make
 * it wait for another run (another shard, perhaps).
 *
 * <p>{@link EpochAware}: the Trainer says the epoch before each one (also when it resumes a run
 * from its checkpoint), which picks the loss; a start or fine-tuning loss that is itself
 * epoch-aware is told the epoch too.
 */
public final class FineTuning implements Loss, EpochAware {
    private final Loss start, fineTune;
    private final int epochs, switchEpoch;
    private Loss current;

    private FineTuning(Loss start, Loss fineTune, int epochs) {
        this.start = start;
        this.fineTune = fineTune;
        this.epochs = epochs;
        this.switchEpoch = epochs / 2;
        this.current = start;
    }

    /**
     * The loss spec of the protocol: id {@code start-id(epochs 1-k) then fine-tune-id} (what the
     * run's checkpoint and result record).
     *
     * @param epochs the run's epochs, at least 2 (each loss gets at least one)
     */
    public static LossSpec of(LossSpec start, LossSpec fineTune, int epochs) {
        if (start == null || fineTune == null) throw new IllegalArgumentException("FineTuning.of: start and fineTune must be given");
        if (epochs < 2) {
            throw new IllegalArgumentException("--epochs " + epochs + ": " + fineTune.loss().name() + " fine-tunes after "
                    + start.loss().name() + " (" + start.loss().name() + " for the first half of the epochs, then "
                    + fineTune.loss().name() + ") and needs --epochs >= 2");
        }
        int k = epochs / 2;
        String id = start.id() + "(epochs 1-" + k + ") then " + fineTune.id() + "(epochs " + (k + 1) + "-" + epochs + ")";
        return new LossSpec(id, new FineTuning(start.loss(), fineTune.loss(), epochs));
    }

    /** The first epoch (0-based) of the fine-tuning loss: {@code floor(E/2)}. */
    public int switchEpoch() { return switchEpoch; }

    @Override
    public void onEpoch(int epoch, int epochs) {
        if (epochs != this.epochs) {
            throw new IllegalArgumentException("FineTuning.onEpoch: built for " + this.epochs + " epochs, the run has " + epochs);
        }
        current = epoch < switchEpoch ? start : fineTune;
        if (current instanceof EpochAware e) e.onEpoch(epoch, epochs);
    }

    /** The loss of the current epoch. */
    public Loss current() { return current; }

    @Override
    public Var forward(Var input, LabelTensor target) { return current.forward(input, target); }

    @Override
    public Var forward(Var input, Tensor target) { return current.forward(input, target); }

    @Override
    public String name() { return start.name() + " then " + fineTune.name(); }
}
