package org.segloss.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.segloss.examples.data.FolderTrainingData;
import org.segloss.examples.train.Postprocess;
import org.segloss.examples.unet.MniAtlas;
import org.segloss.examples.unet.Phantoms;
import org.segloss.examples.unet.SegmentationDataset;
import org.segloss.examples.unet.TrainingData;
import picocli.CommandLine.Option;

/**
 * The knobs of the data sets that {@code segloss train} and {@code segloss study} share (a picocli
 * mixin): the phantoms' sizes, the MNI atlas' folder and resolution, a data set folder's fold and
 * spacing. Their names, defaults and help text stand here only; {@link #phantoms}, {@link #mni}
 * and {@link #folder} build the data set. Each command checks that only the options of its
 * {@code --data} were given, in its own words.
 */
final class DataOptions {
    static final int DEFAULT_VOLUME_SIZE = 64, DEFAULT_TRAIN_VOLUMES = 4, DEFAULT_VAL_VOLUMES = 2, DEFAULT_MNI_DOWNSAMPLE = 1;
    static final String DEFAULT_FOLD = "0";

    @Option(names = "--fold", description = "DIR: fold K of the 5-fold split (nnU-Net's, or DIR/splits_final.json), or all"
            + " (default: " + DEFAULT_FOLD + "); the same for every folder of --data.")
    String fold;

    @Option(names = "--spacing", paramLabel = "X,Y,Z", description = "DIR: target voxel size in mm (default: the median spacing of"
            + " the training cases, per folder).")
    String spacing;

    @Option(names = "--volume-size", description = "phantom data: side of the volumes (default: " + DEFAULT_VOLUME_SIZE + ").")
    Integer volumeSize;

    @Option(names = "--train-volumes", description = "phantom data: training volumes (default: " + DEFAULT_TRAIN_VOLUMES + ").")
    Integer trainVolumes;

    @Option(names = "--val-volumes", description = "phantom data: validation volumes (default: " + DEFAULT_VAL_VOLUMES + ").")
    Integer valVolumes;

    @Option(names = "--mni-dir", description = "mni: directory with ch2.nii.gz, aal.nii.gz, aal.nii.txt (default: ${DEFAULT-VALUE}).")
    Path mniDir = MniAtlas.DEFAULT_DIR;

    @Option(names = "--mni-downsample", description = "mni: 1 (1 mm voxels) or 2 (2 mm, 8 times fewer) (default: " + DEFAULT_MNI_DOWNSAMPLE
            + ").")
    Integer mniDownsample;

    /** Whether --fold or --spacing, options of a data set folder, were given. */
    boolean folderOptionsGiven() {
        return fold != null || spacing != null;
    }

    /** Whether --volume-size, --train-volumes or --val-volumes, options of the phantoms, were given. */
    boolean phantomOptionsGiven() {
        return volumeSize != null || trainVolumes != null || valVolumes != null;
    }

    /** Whether --mni-dir or --mni-downsample, options of the MNI atlas, were given. */
    boolean mniOptionsGiven() {
        return mniDownsample != null || !MniAtlas.DEFAULT_DIR.equals(mniDir);
    }

    String foldOrDefault() { return fold == null ? DEFAULT_FOLD : fold; }

    int volumeSizeOrDefault() { return volumeSize == null ? DEFAULT_VOLUME_SIZE : volumeSize; }

    int trainVolumesOrDefault() { return trainVolumes == null ? DEFAULT_TRAIN_VOLUMES : trainVolumes; }

    int valVolumesOrDefault() { return valVolumes == null ? DEFAULT_VAL_VOLUMES : valVolumes; }

    int mniDownsampleOrDefault() { return mniDownsample == null ? DEFAULT_MNI_DOWNSAMPLE : mniDownsample; }

    /** The phantoms of {@code preset} from {@code seed} at the sizes of these options. */
    TrainingData phantoms(long seed, Phantoms.Preset preset) {
        return SegmentationDataset.phantoms(seed, volumeSizeOrDefault(), trainVolumesOrDefault(), valVolumesOrDefault(), preset);
    }

    /**
     * The MNI atlas at {@code --mni-dir} and {@code --mni-downsample}.
     *
     * @throws java.io.FileNotFoundException when the templates are absent (the message gives the install command)
     */
    TrainingData mni() throws IOException {
        return SegmentationDataset.mni(mniDir, mniDownsampleOrDefault());
    }

    /** The data set folder {@code dir} at {@code --fold} and {@code --spacing}, cut for the patches and windows of {@code training}. */
    TrainingData folder(Path dir, TrainingOptions training) throws IOException {
        return FolderTrainingData.load(dir, foldOrDefault(), spacing, training.patch,
                training.validation(Postprocess.none).windowFor(training.patch), training.model(false).divisor());
    }
}
