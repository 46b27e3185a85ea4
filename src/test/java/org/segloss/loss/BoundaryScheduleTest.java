package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * The two schedules of {@link BoundarySchedule} (spec/losses/boundary.md#the-schedule-boundaryschedule). DiceLoss stands in for the
 * paper's generalised Dice loss: the schedule takes any region loss.
 */
class BoundaryScheduleTest {
    static final LabelTensor Y = LabelTensor.randomLabels(1, 3, 2, 5, 4);
    static final Tensor X = Tensor.randn(2, 2, 3, 5, 4);

    @Test
    void paperScheduleFromOneDownByOneHundredthFlooredAtOneHundredth() {
        BoundarySchedule s = BoundarySchedule.paper(DiceLoss.create(), BoundaryLoss.create());
        int[] epochs = {0, 1, 2, 50, 98, 99, 100, 500};
        float[] region = {1f, 0.99f, 0.98f, 0.5f, 0.02f, 0.01f, 0.01f, 0.01f};
        int e = 0;
        for (int k = 0; k < epochs.length; k++) {
            while (s.epoch() < epochs[k]) s.step();
            assertEquals(region[k], s.regionWeight(), 1e-7f, "α at epoch " + epochs[k]);
            assertEquals(1f - region[k], s.boundaryWeight(), 1e-7f, "1 − α at epoch " + epochs[k]);
            e++;
        }
        assertEquals(epochs.length, e);
    }

    @Test
    void stealWeightFloorsTheRegionAtOneTenthAndLetsTheBoundaryGrow() {
        BoundarySchedule s = BoundarySchedule.stealWeight(DiceLoss.create(), BoundaryLoss.create());
        // (a, b) after e epochs, from the reference's update (max(0.1, a − 0.01), b + 0.01) starting at (1, 0.01)
        double a = 1, b = 0.01;
        for (int e = 0; e <= 300; e++) {
            assertEquals((float) a, s.regionWeight(), 1e-6f, "region weight at epoch " + e);
            assertEquals((float) b, s.boundaryWeight(), 1e-5f, "boundary weight at epoch " + e);
            a = Math.max(0.1, a - 0.01);
            b = b + 0.01;
            s.step();
        }
        assertEquals(0.1f, s.regionWeight(), 0f);
        assertEquals(3.02f, s.boundaryWeight(), 1e-5f);   // unbounded: not 1 − the region weight
    }

    @Test
    void theCombinedValueIsTheWeightedSumOfTheTerms() {
        DiceLoss dice = DiceLoss.create();
        BoundaryLoss boundary = BoundaryLoss.create();
        float d = dice.forward(Var.constant(X), Y).item(), bl = boundary.forward(Var.constant(X), Y).item();
        for (BoundarySchedule s : new BoundarySchedule[] {BoundarySchedule.paper(dice, boundary), BoundarySchedule.stealWeight(dice, boundary)}) {
            s.setEpoch(30);
            float want = s.regionWeight() * d + s.boundaryWeight() * bl;
            assertEquals(want, s.forward(Var.constant(X), Y).item(), 1e-6f, s.name());
            assertEquals(want, s.forward(Var.constant(X), Y.oneHot(3)).item(), 1e-6f, s.name() + ", one-hot");
            Tensor maps = boundary.distanceMaps(Y, 3);
            assertEquals(want, s.forwardWithMaps(Var.constant(X), Y, maps).item(), 1e-6f, s.name() + ", precomputed maps");
            WeightedSumLoss w = s.current();
            assertArrayEquals(new float[] {s.regionWeight(), s.boundaryWeight()}, w.weights(), 0f);
            // gradients agree too
            Var a = Var.param(X), b = Var.param(X);
            s.forward(a, Y).backward();
            s.forwardWithMaps(b, Y, maps).backward();
            assertTrue(a.grad().maxAbsDiff(b.grad()) < 1e-7f);
        }
    }

    @Test
    void aZeroWeightTermIsNotEvaluated() {
        // idc {5} fails for C = 3 the moment the boundary term runs: at epoch 0 of the paper schedule it must not
        BoundarySchedule s = BoundarySchedule.paper(DiceLoss.create(), BoundaryLoss.builder().idc(5).build());
        assertEquals(DiceLoss.create().forward(Var.constant(X), Y).item(), s.forward(Var.constant(X), Y).item(), 0f);
        s.step();
        assertThrows(IllegalArgumentException.class, () -> s.forward(Var.constant(X), Y));
    }

    @Test
    void badArguments() {
        BoundaryLoss none = BoundaryLoss.builder().reduction(Reduction.NONE).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BoundarySchedule.paper(DiceLoss.create(), none));
        assertTrue(e.getMessage().startsWith("BoundarySchedule") && e.getMessage().contains("NONE"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BoundarySchedule.paper(null, BoundaryLoss.create()));
        assertThrows(IllegalArgumentException.class, () -> BoundarySchedule.paper(DiceLoss.create(), BoundaryLoss.create(), -0.1, 0.01));
        assertThrows(IllegalArgumentException.class, () -> BoundarySchedule.paper(DiceLoss.create(), BoundaryLoss.create(), 0.01, 1.5));
        assertThrows(IllegalArgumentException.class, () -> BoundarySchedule.paper(DiceLoss.create(), BoundaryLoss.create()).setEpoch(-1));
        BoundarySchedule s = BoundarySchedule.paper(DiceLoss.builder().reduction(Reduction.NONE).build(), BoundaryLoss.create());
        e = assertThrows(IllegalArgumentException.class, () -> s.forwardWithMaps(Var.constant(X), Y, BoundaryLoss.create().distanceMaps(Y, 3)));
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
    }
}
