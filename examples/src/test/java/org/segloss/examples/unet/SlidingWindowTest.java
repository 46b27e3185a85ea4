package org.segloss.examples.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

class SlidingWindowTest {

    @Test
    void oneWindowCoveringTheVolumeEqualsTheWholeVolume() {
        UNet3d net = new UNet3d(1, 3, 2, 4, false, 9);
        net.eval();
        Tensor image = Tensor.randn(3, 1, 8, 12, 16);
        LabelTensor whole = SlidingWindow.predict(net, image, 0);
        LabelTensor windowed = SlidingWindow.predict(net, image, 16);   // clipped to 8 x 12 x 16: one window
        assertEquals(Shape.of(8, 12, 16), whole.shape());
        assertArrayEquals(whole.toArray(), windowed.toArray());
    }

    @Test
    void aPointwiseModelGivesTheWholeVolumeResultThroughEveryWindowLayout() {
        PointwiseConv3d head = new PointwiseConv3d(2, 5, 0f, 13);
        Tensor image = Tensor.randn(6, 2, 12, 8, 20);
        LabelTensor whole = SlidingWindow.predict(head, 5, image, 0);
        for (int window : new int[] {4, 8, 12, 16}) {
            assertArrayEquals(whole.toArray(), SlidingWindow.predict(head, 5, image, window).toArray(), "window " + window);
        }
        // and the argmax is that of the model's own logits
        Tensor logits = head.forward(org.segloss.autograd.Var.constant(image.reshape(1, 2, 12, 8, 20))).value();
        assertArrayEquals(logits.argmax(1).toArray(), whole.toArray());
    }

    @Test
    void aModelWithTheWrongOutputIsNamed() {
        PointwiseConv3d head = new PointwiseConv3d(1, 3, 0f, 13);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SlidingWindow.predict(head, 4, Tensor.zeros(1, 8, 8, 8), 4));
        assertTrue(e.getMessage().contains("[1, 4, 4, 4, 4]") && e.getMessage().contains("[1, 3, 4, 4, 4]"), e.getMessage());
    }

    @Test
    void windowsOnANonCubicVolumeGiveAFullPredictionInRange() {
        UNet3d net = new UNet3d(1, 3, 2, 4, false, 9);
        net.eval();
        Tensor image = Tensor.randn(4, 1, 12, 8, 20);
        LabelTensor p = SlidingWindow.predict(net, image, 8);
        assertEquals(Shape.of(12, 8, 20), p.shape());
        for (int v : p.toArray()) assertTrue(v >= 0 && v < 3, "label " + v);
    }

    @Test
    void windowCornersCoverTheAxis() {
        assertArrayEquals(new int[] {0, 16, 32}, SlidingWindow.starts(64, 32));
        assertArrayEquals(new int[] {0, 4, 8}, SlidingWindow.starts(16, 8));
        assertArrayEquals(new int[] {0, 4, 6}, SlidingWindow.starts(14, 8));
        assertArrayEquals(new int[] {0}, SlidingWindow.starts(8, 8));
    }

    @Test
    void badArgumentsAreNamed() {
        UNet3d net = new UNet3d(1, 3, 2, 4, false, 9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SlidingWindow.predict(net, Tensor.zeros(8, 8, 8), 8));
        assertTrue(e.getMessage().contains("[C, D, H, W]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SlidingWindow.predict(net, Tensor.zeros(1, 8, 8, 8), -1));
        assertTrue(e.getMessage().contains("window"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SlidingWindow.starts(8, 9));
    }
}
