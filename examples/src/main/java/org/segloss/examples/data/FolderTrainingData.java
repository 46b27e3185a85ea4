package org.segloss.examples.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.segloss.examples.data.CaseLoader.LoadedCase;
import org.segloss.examples.data.Preprocessing.Prepared;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.examples.unet.TrainingData;

/**
 * A data set folder ({@link DatasetFolder}: MSD or nnU-Net v2) as the {@link TrainingData} of a
 * training run: the cases of one fold ({@link Folds}), preprocessed as nnU-Net does
 * ({@link Preprocessing}, planned from every training case of the folder, as nnU-Net's
 * fingerprint is) and padded where smaller than a patch ({@link Padding}).
 *
 * <p><b>Fold {@code all}</b> trains on every case. The trainer validates after every epoch, so the
 * validation volumes are then the training cases themselves, as nnU-Net does for its fold "all":
 * those numbers measure fit, not generalisation, and the run's header says so.
 *
 * <p><b>Grid.</b> Every volume is on the target spacing ({@link #spacing()}), training volumes
 * padded to at least a patch, validation volumes to at least a validation window (or to a
 * multiple of the U-Net's size divisor for whole-volume validation). The affine of a validation
 * volume ({@link #validationAffines()}, used for the run's {@code validation-*.nii.gz}) keeps the
 * input's axis directions with the target spacing and puts the centre of the preprocessed grid on
 * the centre of the crop box; it is the exact grid only when the resampling factor is exact (a
 * resampled grid of whole voxels spans {@code round(n · s / t) · t}, not {@code n · s}). Predictions
 * on the exact input grid are {@code segloss predict}'s job.
 *
 * <p><b>Checkpoint.</b> {@link #parameters()} holds {@code data-dir}, {@code fold}, {@code spacing}
 * (as given, empty for the median) and {@link Preprocessing#toMetadata()}: the run stores them in
 * its checkpoint and a resume must find the same.
 */
public final class FolderTrainingData implements TrainingData {
    private final DatasetFolder folder;
    private final Folds.Fold fold;
    private final Preprocessing preprocessing;
    private final List<LabeledVolume> train, validation;
    private final List<double[][]> validationAffines;
    private final int xformCode;
    private final Map<String, String> parameters;
    private final String description;

    private FolderTrainingData(DatasetFolder folder, Folds.Fold fold, Preprocessing preprocessing, List<LabeledVolume> train,
            List<LabeledVolume> validation, List<double[][]> validationAffines, int xformCode, Map<String, String> parameters,
            String description) {
        this.folder = folder;
        this.fold = fold;
        this.preprocessing = preprocessing;
        this.train = List.copyOf(train);
        this.validation = List.copyOf(validation);
        this.validationAffines = List.copyOf(validationAffines);
        this.xformCode = xformCode;
        this.parameters = parameters;
        this.description = description;
    }

    /**
     * Opens, checks, plans and preprocesses.
     *
     * @param dir         the data set folder (holds dataset.json)
     * @param foldSpec    {@code "0"} … or {@code "all"}
     * @param spacingXyz  {@code --spacing X,Y,Z} as typed, or null for the median spacing
     * @param patch       the training patch side: training volumes are padded to at least this
     * @param window      the validation window side (0 = whole volume)
     * @param divisor     the U-Net's size divisor (whole-volume validation pads to its multiples)
     * @throws IllegalArgumentException for every problem of the folder, its cases or the options
     */
    public static FolderTrainingData load(Path dir, String foldSpec, String spacingXyz, int patch, int window, int divisor)
            throws IOException {
        DatasetFolder folder = DatasetFolder.open(dir);
        Folds.Fold fold = Folds.select(dir, folder.trainingIds(), foldSpec);
        double[] spacing = spacingXyz == null ? null : Preprocessing.parseSpacingXyz(spacingXyz);
        Preprocessing prep = Preprocessing.plan(folder, folder.training(), spacing);
        boolean all = fold.validation().isEmpty();
        List<String> valIds = all ? fold.train() : fold.validation();

        List<LabeledVolume> train = new ArrayList<>(), val = new ArrayList<>();
        List<double[][]> affines = new ArrayList<>();
        int xform = 0;
        int[] patchShape = {patch, patch, patch};
        for (String id : fold.train()) {
            Prepared p = prep.apply(CaseLoader.load(folder, folder.trainingCase(id)));
            Padding pad = Padding.toAtLeast(p.labels().shape().dims(), patchShape);
            train.add(new LabeledVolume(pad.pad(p.image()), pad.pad(p.labels())));
        }
        for (String id : valIds) {
            LoadedCase lc = CaseLoader.load(folder, folder.trainingCase(id));
            Prepared p = prep.apply(lc);
            int[] s = p.labels().shape().dims(), min = new int[3];
            for (int a = 0; a < 3; a++) min[a] = window > 0 ? window : ((s[a] + divisor - 1) / divisor) * divisor;
            Padding pad = Padding.toAtLeast(s, min);
            val.add(new LabeledVolume(pad.pad(p.image()), pad.pad(p.labels())));
            affines.add(preprocessedAffine(lc.affine(), lc.spacing(), prep.targetSpacing(), p.geometry(), pad));
            if (val.size() == 1) xform = Math.max(lc.reference().sformCode(), lc.reference().qformCode());
        }
        Map<String, String> params = new LinkedHashMap<>();
        params.put("data-dir", dir.toString());
        params.put("fold", foldSpec);
        params.put("spacing", spacingXyz == null ? "" : spacingXyz);
        params.putAll(prep.toMetadata());
        double[] t = prep.targetSpacing();
        String desc = String.format(Locale.ROOT, "%s (%s folder %s): fold %s, train %s, validate %s%s; %d channel(s) %s; resampled to"
                + " %s x %s x %s mm (x, y, z)", folder.name(), folder.layout() == DatasetFolder.Layout.MSD ? "MSD" : "nnU-Net v2", dir,
                fold.name(), fold.train(), valIds, all ? " (fold all: the training cases themselves)" : "", folder.channels(),
                folder.channelNames(), trim(t[2]), trim(t[1]), trim(t[0]));
        return new FolderTrainingData(folder, fold, prep, train, val, affines, xform, params, desc);
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /**
     * The affine of a preprocessed, padded grid: input directions (columns normalised) times the
     * target spacing, centre on the crop box's centre. {@code affine} maps (i, j, k) = (W, H, D).
     */
    static double[][] preprocessedAffine(double[][] affine, double[] spacing, double[] target, Preprocessing.Geometry g, Padding pad) {
        double[][] out = new double[4][4];
        double[] centreIndex = new double[3];       // in the input grid, per axis (D, H, W)
        double[] centreNew = new double[3];         // in the padded grid
        for (int a = 0; a < 3; a++) {
            centreIndex[a] = g.cropStart()[a] + (g.cropShape()[a] - 1) / 2.0;
            centreNew[a] = pad.before()[a] + (g.resampledShape()[a] - 1) / 2.0;
        }
        for (int col = 0; col < 3; col++) {
            int axis = 2 - col;                     // column 0 = i = W = tensor axis 2
            double len = Math.sqrt(affine[0][col] * affine[0][col] + affine[1][col] * affine[1][col] + affine[2][col] * affine[2][col]);
            for (int r = 0; r < 3; r++) out[r][col] = affine[r][col] / len * target[axis];
        }
        for (int r = 0; r < 3; r++) {
            double world = affine[r][3];
            for (int col = 0; col < 3; col++) world += affine[r][col] * centreIndex[2 - col];
            double shift = 0;
            for (int col = 0; col < 3; col++) shift += out[r][col] * centreNew[2 - col];
            out[r][3] = world - shift;
        }
        out[3][3] = 1;
        return out;
    }

    public DatasetFolder folder() { return folder; }

    public Folds.Fold fold() { return fold; }

    /** The preprocessing every volume went through (and predict repeats). */
    public Preprocessing preprocessing() { return preprocessing; }

    @Override
    public String name() { return folder.name(); }

    @Override
    public List<LabeledVolume> train() { return train; }

    @Override
    public List<LabeledVolume> validation() { return validation; }

    @Override
    public String[] classNames() { return folder.classNames().toArray(String[]::new); }

    @Override
    public double[] spacing() { return preprocessing.targetSpacing(); }

    @Override
    public List<double[][]> validationAffines() { return validationAffines; }

    @Override
    public int xformCode() { return xformCode; }

    @Override
    public String description() { return description; }

    @Override
    public Map<String, String> parameters() { return parameters; }

    @Override
    public int channels() { return folder.channels(); }
}
