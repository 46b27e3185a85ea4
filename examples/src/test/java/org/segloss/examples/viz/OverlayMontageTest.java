package org.segloss.examples.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

class OverlayMontageTest {
    /** A 20³ volume with a 3³ cube of class 2 at z 9..11, y 4..6, x 12..14. */
    static LabelTensor truth() {
        int[] t = new int[20 * 20 * 20];
        for (int z = 9; z < 12; z++) for (int y = 4; y < 7; y++) for (int x = 12; x < 15; x++) t[(z * 20 + y) * 20 + x] = 2;
        return LabelTensor.of(t, 20, 20, 20);
    }

    /** Pixels of colour rgb inside the panel row's image area (below the title and captions). */
    static int count(BufferedImage img, int x0, int x1, int rgb) {
        int n = 0, top = OverlayMontage.TITLE_H + OverlayMontage.CAPTION_H;
        for (int y = top; y < top + 192; y++) for (int x = x0; x < x1; x++) if ((img.getRGB(x, y) & 0xFFFFFF) == rgb) n++;
        return n;
    }

    @Test
    void panelsShowReferenceAndPredictions() {
        Tensor image = Tensor.wrap(new float[8000], 1, 20, 20, 20);          // flat: grey 128, so white is only the outline
        LabelTensor t = truth();
        LabelTensor empty = LabelTensor.of(new int[8000], 20, 20, 20);
        BufferedImage img = OverlayMontage.render("t", image, t, 2, new String[] {"exact", "empty", "none"}, Arrays.asList(t, empty, null));
        // crop: 3 voxels + 2 x 6 padding = 15 -> widened to 16 voxels, scale 192 / 16 = 12: panels of 192 px, 4 panels in one row
        int pw = 192, step = pw + OverlayMontage.MARGIN;
        assertEquals(OverlayMontage.MARGIN + 4 * step, img.getWidth());
        int outline = SliceOverlay.classColour(2).getRGB() & 0xFFFFFF;
        int x0 = OverlayMontage.MARGIN;
        assertTrue(count(img, x0, x0 + pw, outline) > 0, "the reference panel outlines the class in its colour");
        assertTrue(count(img, x0 + step, x0 + step + pw, 0xFFFFFF) > 0, "the prediction panel shows the reference outline in white");
        assertEquals(count(img, x0 + step, x0 + step + pw, 0xFFFFFF), count(img, x0 + 2 * step, x0 + 2 * step + pw, 0xFFFFFF),
                "the same outline in every prediction panel");
        assertThrows(IllegalArgumentException.class, () -> OverlayMontage.render("t", image, t, 2, new String[] {"a"}, List.of()));
    }
}
