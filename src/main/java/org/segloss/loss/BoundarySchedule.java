package org.segloss.loss;

import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A region loss combined with the {@link BoundaryLoss} under a per-epoch weight schedule, as the
 * boundary-loss paper trains: {@code L = w_R(e)·L_region + w_B(e)·L_B} at epoch e. The training
 * loop calls {@link #step()} at the end of every epoch. Spec page: {@code spec/losses/boundary.md}.
 *
 * <p>Two schedules (spec/losses/boundary.md#the-schedule-boundaryschedule):
 * <ul>
 *   <li>{@link #paper} — Kervadec et al., arXiv 1812.07032, Sec. 3: {@code α·L_GDL + (1 − α)·L_B},
 *       α starting at 1 and decreasing by 0.01 after every epoch, floored at 0.01:
 *       {@code α(e) = max(0.01, 1 − 0.01 e)}, so {@code w_R = α}, {@code w_B = 1 − α}. The floor
 *       is the community Keras callback's {@code clip(α − 0.01, 0.01, 1)} shipped (commented out)
 *       in the reference repository's {@code keras_loss.py}; the paper's own floor was not re-read
 *       (spec/open-questions.md, open question 6).</li>
 *   <li>{@link #stealWeight} — the reference repository's "rebalance" scheduler
 *       ({@code scheduler.StealWeight(to_steal=0.01)}, make targets {@code gdl_surface_steal}):
 *       weights start at (1, 0.01) and after every epoch become
 *       {@code (max(0.1, w_R − 0.01), w_B + 0.01)}, i.e. {@code w_R(e) = max(0.1, 1 − 0.01 e)} and
 *       {@code w_B(e) = 0.01 + 0.01 e}: the region weight floors at 0.1 and the boundary weight
 *       grows without bound (it is not 1 − w_R).</li>
 * </ul>
 * Weights are computed from the epoch count, not accumulated, so they carry no rounding drift and
 * {@link #setEpoch} resumes a run exactly.
 *
 * <p>The region term is any scalar-valued {@link Loss}; the paper uses the generalised Dice loss
 * (pass a {@code GeneralizedDiceLoss}: this class does not name it, so it works with whichever
 * region loss the caller has). A term with weight 0 is not evaluated (at epoch 0 of the paper
 * schedule the boundary maps are not even computed).
 */
public final class BoundarySchedule implements Loss {
    /** Which schedule. */
    public enum Kind {
        /** α·region + (1 − α)·boundary, α = max(floor, 1 − step·e). */
        PAPER,
        /** (max(floor, 1 − step·e), initialBoundary + step·e): LIVIAETS StealWeight. */
        STEAL_WEIGHT
    }

    private final Kind kind;
    private final Loss region;
    private final BoundaryLoss boundary;
    private final double step, floor, initialBoundary;
    private int epoch;

    private BoundarySchedule(Kind kind, Loss region, BoundaryLoss boundary, double step, double floor, double initialBoundary) {
        String n = "BoundarySchedule";
        if (region == null) throw new IllegalArgumentException(n + ": region loss must not be null");
        if (boundary == null) throw new IllegalArgumentException(n + ": boundary loss must not be null");
        if (boundary.reduction() == Reduction.NONE) {
            throw new IllegalArgumentException(n + ": the boundary loss must reduce to a scalar (reduction MEAN or SUM), got NONE");
        }
        if (!(step >= 0) || Double.isInfinite(step)) throw new IllegalArgumentException(n + ": step must be finite and >= 0, got " + step);
        if (!(floor >= 0 && floor <= 1)) throw new IllegalArgumentException(n + ": floor must be in [0, 1], got " + floor);
        if (!(initialBoundary >= 0) || Double.isInfinite(initialBoundary)) {
            throw new IllegalArgumentException(n + ": initialBoundary must be finite and >= 0, got " + initialBoundary);
        }
        this.kind = kind;
        this.region = region;
        this.boundary = boundary;
        this.step = step;
        this.floor = floor;
        this.initialBoundary = initialBoundary;
    }

    // ---- options (LossOption): the schedule's settings, declared once ----

    /** The region weight's lower bound of {@link #paper(Loss, BoundaryLoss)} and of {@link #stealWeight(Loss, BoundaryLoss)}. */
    public static final double PAPER_FLOOR = 0.01, STEAL_WEIGHT_FLOOR = 0.1;
    public static final LossOption<Object, String> SCHEDULE = LossOption.word("schedule", "paper", "Weight schedule.", "paper",
            "steal-weight");
    public static final LossOption<Object, Double> STEP = LossOption.real("step", "0.01", LossOption.Range.UNIT,
            "Weight moved per epoch.", null);
    public static final LossOption<Object, Double> FLOOR = LossOption.real("floor", null, LossOption.Range.UNIT,
            "Lower bound of the region weight.", null).shown(PAPER_FLOOR + " (paper) / " + STEAL_WEIGHT_FLOOR + " (steal-weight)");
    public static final LossOption<Object, Double> INITIAL_BOUNDARY = LossOption.real("initial-boundary", "0.01",
            LossOption.Range.NON_NEG, "Boundary weight at epoch 0 (steal-weight only).", null);
    /** The schedule's settings and the boundary term's options, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(SCHEDULE, STEP, FLOOR, INITIAL_BOUNDARY, BoundaryLoss.IDC,
            BoundaryLoss.CONVENTION, BoundaryLoss.SPACING);

    /** The paper's schedule: α from 1 down by 0.01 per epoch, floor 0.01. */
    public static BoundarySchedule paper(Loss region, BoundaryLoss boundary) {
        return paper(region, boundary, STEP.defaultDouble(), PAPER_FLOOR);
    }

    /** The paper's form with another decrement and floor (each in [0, 1]). */
    public static BoundarySchedule paper(Loss region, BoundaryLoss boundary, double step, double floor) {
        return new BoundarySchedule(Kind.PAPER, region, boundary, step, floor, 0);
    }

    /** The reference repository's StealWeight(0.01): (1, 0.01) → (max(0.1, a − 0.01), b + 0.01) per epoch. */
    public static BoundarySchedule stealWeight(Loss region, BoundaryLoss boundary) {
        return stealWeight(region, boundary, INITIAL_BOUNDARY.defaultDouble(), STEP.defaultDouble(), STEAL_WEIGHT_FLOOR);
    }

    /**
     * StealWeight with other constants.
     *
     * @param initialBoundary the boundary weight at epoch 0 (reference: 0.01)
     * @param toSteal moved from the region to the boundary weight per epoch (reference: 0.01)
     * @param regionFloor the region weight's lower bound (reference: 0.1)
     */
    public static BoundarySchedule stealWeight(Loss region, BoundaryLoss boundary, double initialBoundary, double toSteal,
                                               double regionFloor) {
        return new BoundarySchedule(Kind.STEAL_WEIGHT, region, boundary, toSteal, regionFloor, initialBoundary);
    }

    public Kind kind() { return kind; }
    public Loss region() { return region; }
    public BoundaryLoss boundary() { return boundary; }

    /** Epochs completed so far (0 before the first {@link #step()}). */
    public int epoch() { return epoch; }

    /** Ends an epoch: the weights move one step. */
    public void step() { epoch++; }

    /** Jumps to an epoch (resuming a run). */
    public void setEpoch(int e) {
        if (e < 0) throw new IllegalArgumentException("BoundarySchedule.setEpoch: epoch must be >= 0, got " + e);
        epoch = e;
    }

    /** The region term's weight at the current epoch. */
    public float regionWeight() {
        return (float) Math.max(floor, 1.0 - step * epoch);
    }

    /** The boundary term's weight at the current epoch. */
    public float boundaryWeight() {
        return switch (kind) {
            case PAPER -> (float) (1.0 - Math.max(floor, 1.0 - step * epoch));
            case STEAL_WEIGHT -> (float) (initialBoundary + step * epoch);
        };
    }

    /** The combined loss at the current epoch, as a {@link WeightedSumLoss} (its weights are fixed). */
    public WeightedSumLoss current() {
        return WeightedSumLoss.builder().add(regionWeight(), region).add(boundaryWeight(), boundary).build();
    }

    /** The current combination on a label map (the boundary maps computed by the boundary loss). */
    @Override
    public Var forward(Var input, LabelTensor target) {
        return current().forward(input, target);
    }

    /** The current combination on a one-hot target. */
    @Override
    public Var forward(Var input, Tensor target) {
        return current().forward(input, target);
    }

    /**
     * The current combination with precomputed boundary maps: {@code w_R·region(input, labels) +
     * w_B·boundary.forwardWithMaps(input, maps)}; a term with weight 0 is skipped.
     */
    public Var forwardWithMaps(Var input, LabelTensor labels, Tensor distanceMaps) {
        float wr = regionWeight(), wb = boundaryWeight();
        Var total = null;
        if (wr != 0f) total = scalar(region.forward(input, labels)).mul(wr);
        if (wb != 0f) {
            Var b = boundary.forwardWithMaps(input, distanceMaps).mul(wb);
            total = total == null ? b : total.add(b);
        }
        return total != null ? total : input.mul(0f).sum();
    }

    private Var scalar(Var v) {
        if (v.shape().size() != 1) {
            throw new IllegalArgumentException("BoundarySchedule: the region loss " + region.name()
                    + " must reduce to a scalar (reduction MEAN or SUM), got shape " + v.shape());
        }
        return v.reshape();
    }

    @Override
    public String name() {
        return "BoundarySchedule(" + kind + ", epoch " + epoch + ": " + regionWeight() + "·" + region.name() + " + "
                + boundaryWeight() + "·" + boundary.name() + ")";
    }
}
