package org.segloss.metrics;

import java.util.Arrays;
import org.segloss.tensor.LabelTensor;

/**
 * Lesion-wise detection counts of one class, what small-lesion papers report next to the Dice:
 * how many of the reference's lesions (connected components) the prediction finds, and how many
 * predicted lesions are false alarms.
 *
 * <ul>
 *   <li>a reference component is <b>detected</b> when at least one of its voxels is predicted as
 *       the class (overlap of one voxel or more: "touched");</li>
 *   <li>a predicted component is a <b>false-positive component</b> when none of its voxels is in
 *       the reference.</li>
 * </ul>
 *
 * <p><b>Connectivity 26</b> ({@link #CONNECTIVITY}) by default: two voxels that share only a corner
 * belong to one lesion. This is what lesion-wise evaluations commonly use (SciPy's
 * {@code label(..., structure=np.ones((3, 3, 3)))}, cc3d's default in the BraTS 2023 lesion-wise
 * metrics); 6-connectivity would split one oblique, thin lesion into several and count it twice.
 *
 * @param truthComponents connected components of the reference mask
 * @param detectedComponents reference components touched by the prediction
 * @param predComponents connected components of the predicted mask
 * @param falsePositiveComponents predicted components touching no reference voxel
 */
public record LesionDetection(int truthComponents, int detectedComponents, int predComponents, int falsePositiveComponents) {
    /** The default connectivity of the lesion-wise counts (see the class comment). */
    public static final int CONNECTIVITY = 26;

    public LesionDetection {
        if (truthComponents < 0 || detectedComponents < 0 || detectedComponents > truthComponents || predComponents < 0
                || falsePositiveComponents < 0 || falsePositiveComponents > predComponents) {
            throw new IllegalArgumentException("LesionDetection: need 0 <= detected <= truth and 0 <= falsePositive <= pred, got truth "
                    + truthComponents + ", detected " + detectedComponents + ", pred " + predComponents + ", falsePositive "
                    + falsePositiveComponents);
        }
    }

    /** detected / truth components, the lesion-wise sensitivity; NaN when the reference has no lesion. */
    public double detectedShare() {
        return truthComponents == 0 ? Double.NaN : (double) detectedComponents / truthComponents;
    }

    /** The counts of class {@code label} of two label maps ({@code [D, H, W]} or {@code [H, W]}), 26-connected. */
    public static LesionDetection of(LabelTensor pred, LabelTensor truth, int label) {
        String op = "LesionDetection.of";
        if (pred == null || truth == null) throw new IllegalArgumentException(op + ": pred and truth must not be null");
        if (!pred.shape().equals(truth.shape())) {
            throw new IllegalArgumentException(op + ": pred and truth must have the same shape, got pred " + pred.shape() + " and truth "
                    + truth.shape());
        }
        int[] p = pred.toArray(), t = truth.toArray();
        boolean[] a = new boolean[p.length], b = new boolean[t.length];
        for (int i = 0; i < p.length; i++) {
            a[i] = p[i] == label;
            b[i] = t[i] == label;
        }
        return of(a, b, pred.shape().dims(), CONNECTIVITY);
    }

    /**
     * The counts of a predicted mask against a reference mask.
     *
     * @param pred row-major mask of {@code dims}
     * @param truth row-major mask of {@code dims}
     * @param dims {@code [D, H, W]} or {@code [H, W]}
     * @param connectivity 6, 18 or 26 ({@link ConnectedComponents})
     */
    public static LesionDetection of(boolean[] pred, boolean[] truth, int[] dims, int connectivity) {
        if (pred == null || truth == null) throw new IllegalArgumentException("LesionDetection.of: pred and truth must not be null");
        if (pred.length != truth.length) {
            throw new IllegalArgumentException("LesionDetection.of: pred and truth must have the same length, got " + pred.length + " and "
                    + truth.length + " (dims " + Arrays.toString(dims) + ")");
        }
        ConnectedComponents tc = ConnectedComponents.label(truth, dims, connectivity);
        ConnectedComponents pc = ConnectedComponents.label(pred, dims, connectivity);
        boolean[] truthHit = new boolean[tc.count() + 1], predHit = new boolean[pc.count() + 1];
        for (int i = 0; i < pred.length; i++) {
            if (pred[i] && truth[i]) {
                truthHit[tc.componentOf(i)] = true;
                predHit[pc.componentOf(i)] = true;
            }
        }
        int detected = 0, falsePositive = 0;
        for (int id = 1; id <= tc.count(); id++) if (truthHit[id]) detected++;
        for (int id = 1; id <= pc.count(); id++) if (!predHit[id]) falsePositive++;
        return new LesionDetection(tc.count(), detected, pc.count(), falsePositive);
    }
}
