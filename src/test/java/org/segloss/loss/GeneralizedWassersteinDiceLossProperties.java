package org.segloss.loss;

import java.util.SplittableRandom;
import org.segloss.loss.GeneralizedWassersteinDiceLoss.Weighting;

/**
 * {@link LossPropertiesBase} for {@link GeneralizedWassersteinDiceLoss} with a random valid
 * distance matrix (zero diagonal, off-diagonal entries in [0.05, 2), not necessarily symmetric),
 * a random weighting mode and SOFTMAX or NONE. Every base property applies: the loss is
 * per-sample (MEAN over the batch), lies in [0, 1], is 0 at a perfect prediction (smoothNr =
 * smoothDr), and supports ignoreIndex.
 */
class GeneralizedWassersteinDiceLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
    }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        int c = o.classes();
        double[][] m = new double[c][c];
        for (int a = 0; a < c; a++) for (int b = 0; b < c; b++) m[a][b] = a == b ? 0 : 0.05 + 1.95 * r.nextDouble();
        GeneralizedWassersteinDiceLoss.Builder b = GeneralizedWassersteinDiceLoss.builder().distanceMatrix(m)
                .activation(o.activation()).weighting(r.nextBoolean() ? Weighting.DEFAULT : Weighting.GDL);
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }
}
