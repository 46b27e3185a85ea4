package org.segloss.examples.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.segloss.examples.unet.LabeledVolume;
import org.segloss.examples.unet.TrainingData;
import org.segloss.examples.viz.SliceOverlay;
import org.segloss.examples.viz.TrainingCurves;
import org.segloss.io.Nifti;
import org.segloss.io.NiftiImage;
import org.segloss.tensor.LabelTensor;
import org.segloss.util.OutputFolder;

/**
 * The files a run writes into its output folder, each replaced atomically:
 * {@value #METRICS_FILE} ({@link TrainingHistory}), {@value #CHECKPOINT_FILE} (written by the
 * {@link Trainer} through {@link org.segloss.nn.Checkpoint}), {@value #CURVES_FILE} (loss and
 * per-class Dice), {@value #OVERLAY_FILE} (axial and coronal slices of the first validation
 * volume with truth and prediction), and that volume as NIfTI-1 in the data set's space:
 * {@value #IMAGE_NIFTI}, {@value #TRUTH_NIFTI} (once per run) and {@value #PREDICTION_NIFTI}
 * (every epoch).
 */
public final class RunOutputs {
    public static final String METRICS_FILE = "metrics.csv", CHECKPOINT_FILE = "checkpoint.ckpt", CURVES_FILE = "curves.png",
            OVERLAY_FILE = "validation-slices.png", IMAGE_NIFTI = "validation-image.nii.gz", TRUTH_NIFTI = "validation-truth.nii.gz",
            PREDICTION_NIFTI = "validation-prediction.nii.gz";

    private final Path out;
    private final TrainingData data;
    private final String lossId;

    /** Outputs of a run on {@code data} with the loss {@code lossId} into the folder {@code out}. */
    public RunOutputs(Path out, TrainingData data, String lossId) {
        this.out = out;
        this.data = data;
        this.lossId = lossId;
    }

    public Path folder() { return out; }

    public Path metrics() { return out.resolve(METRICS_FILE); }

    public Path checkpoint() { return out.resolve(CHECKPOINT_FILE); }

    /**
     * Makes the folder (and its parents) and checks that the run can use it.
     *
     * @throws RunSetupException {@code --out PATH: why} when the path is a file, lies under a
     *     file, cannot be created or written, or its checkpoint path is a directory
     */
    public void prepareFolder() {
        String why = OutputFolder.prepare(out);
        if (why != null) throw new RunSetupException("--out " + out + ": " + why);
        if (Files.isDirectory(checkpoint())) {
            throw new RunSetupException("--out " + out + ": " + checkpoint() + " is a directory, where the run keeps its checkpoint file");
        }
    }

    /** metrics.csv from the history. */
    public void writeMetrics(TrainingHistory history) throws IOException {
        history.write(metrics());
    }

    /**
     * The first validation volume's image (float32; several channels as a 4-D file) and truth (uint8 labels) as NIfTI-1 in the
     * data set's space (its affine and xform code), once per run; with the prediction of
     * {@link #writePrediction} a viewer can overlay the three.
     */
    public void writeValidationVolume() throws IOException {
        LabeledVolume v = data.validation().get(0);
        int[] dhw = v.labels().shape().dims();
        Nifti.write(out.resolve(IMAGE_NIFTI), nifti(NiftiImage.of(v.channels() == 1 ? v.image().reshape(dhw) : v.image(), NiftiImage.Datatype.FLOAT32, data.spacing(),
                data.validationAffines().get(0)), "image"));
        Nifti.write(out.resolve(TRUTH_NIFTI), nifti(NiftiImage.of(v.labels(), NiftiImage.Datatype.UINT8, data.spacing(),
                data.validationAffines().get(0)), "truth"));
    }

    /** The prediction for the first validation volume (uint8 labels) as NIfTI-1, like {@link #writeValidationVolume}. */
    public void writePrediction(LabelTensor prediction) throws IOException {
        Nifti.write(out.resolve(PREDICTION_NIFTI), nifti(NiftiImage.of(prediction, NiftiImage.Datatype.UINT8, data.spacing(),
                data.validationAffines().get(0)), "prediction"));
    }

    private NiftiImage nifti(NiftiImage image, String what) {
        return image.withXformCode(data.xformCode()).withDescription("segloss " + data.name() + " validation " + what);
    }

    /**
     * The pictures of the run so far: the loss and Dice curves, and the axial and coronal slices of
     * the first validation volume with truth and prediction. Pictures are a by-product: a failure
     * to draw them (e.g. a machine without fonts) goes to {@code warning} and the run goes on.
     */
    public void drawPictures(TrainingHistory history, List<LabelTensor> predictions, Consumer<String> warning) {
        String[] names = data.classNames();
        try {
            TrainingCurves.write(out.resolve(CURVES_FILE), "segloss train: " + data.name() + ", loss " + lossId, history.epochs(),
                    history.loss(), Arrays.copyOfRange(names, 1, names.length), history.metric("dice"));
            LabeledVolume v = data.validation().get(0);
            SliceOverlay.write(out.resolve(OVERLAY_FILE), "validation volume 1 after epoch " + history.size(), v, predictions.get(0), names,
                    data.spacing());
        } catch (IOException | RuntimeException | Error e) {
            warning.accept("could not draw the pictures (" + e + "); training goes on");
        }
    }
}
