package org.segloss.examples.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.examples.unet.PointwiseConv3d;
import org.segloss.tensor.Tensor;

/** {@link Predictor}'s Gaussian-weighted sliding window and mirroring against a model whose answer is known. */
class PredictorTest {
    @Test
    void gaussianIsSymmetricWithItsMaximumAtTheCentre() {
        float[] g = Predictor.gaussian(8);
        assertEquals(512, g.length);
        assertEquals(1f, g[(3 * 8 + 3) * 8 + 3], 1e-6f);
        assertEquals(g[0], g[511], 0f);                           // opposite corners
        assertEquals(g[(3 * 8 + 3) * 8], g[(3 * 8 + 3) * 8 + 7], 0f);
        // σ = 1: the corner is exp(−3 · 3.5² / 2) below the centre (3.5 voxels off on every axis) relative to exp(−3 · 0.5² / 2)
        assertEquals(Math.exp(-3 * (3.5 * 3.5 - 0.5 * 0.5) / 2), g[0], 1e-9);
        float[] f = Predictor.flip(Tensor.arange(8).toArray(), 1, 2, 5);   // flip D and W of a 2³ block
        assertArrayEquals(new float[] {5, 4, 7, 6, 1, 0, 3, 2}, f);
    }

    @Test
    void weightedWindowsAndMirroringReproduceAPointwiseModel() {
        // a pointwise model gives every voxel the same logits whatever window it is in, flipped or not:
        // any normalised weighting of the windows must give back the whole-volume logits
        PointwiseConv3d model = new PointwiseConv3d(2, 3, 0f, 7);
        Tensor image = Tensor.randn(5, 2, 9, 11, 10);
        Tensor whole = model.forward(Var.constant(image.reshape(1, 2, 9, 11, 10))).value().reshape(3, 9, 11, 10);
        for (boolean mirror : new boolean[] {false, true}) {
            Tensor windowed = Predictor.slidingWindowLogits(model, 3, image, 4, mirror);
            assertTrue(whole.maxAbsDiff(windowed) < 1e-5f, "mirror " + mirror + ": " + whole.maxAbsDiff(windowed));
        }
    }
}
