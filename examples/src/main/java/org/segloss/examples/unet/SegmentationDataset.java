package org.segloss.examples.unet;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.nio.file.Path;

/**
 * A data set held in memory ({@link TrainingData}): training and validation volumes, the class
 * names (index 0 the background), the voxel spacing in millimetres ({@code [sz, sy, sx]}) shared by
 * all volumes, the voxel-to-world affine of each validation volume with the NIfTI xform code of
 * that space ({@code xformCode}: 0 unknown, 4 MNI-152; nifti1.h), and the parameters that made it
 * ({@link TrainingData#parameters()}).
 */
public record SegmentationDataset(String name, List<LabeledVolume> train, List<LabeledVolume> validation, String[] classNames,
        double[] spacing, List<double[][]> validationAffines, int xformCode, String description, Map<String, String> parameters)
        implements TrainingData {

    /** A data set without parameters. */
    public SegmentationDataset(String name, List<LabeledVolume> train, List<LabeledVolume> validation, String[] classNames,
            double[] spacing, List<double[][]> validationAffines, int xformCode, String description) {
        this(name, train, validation, classNames, spacing, validationAffines, xformCode, description, Map.of());
    }

    public SegmentationDataset {
        if (train == null || train.isEmpty()) throw new IllegalArgumentException("SegmentationDataset: train must not be empty");
        if (validation == null || validation.isEmpty()) {
            throw new IllegalArgumentException("SegmentationDataset: validation must not be empty");
        }
        if (classNames == null || classNames.length < 2) {
            throw new IllegalArgumentException("SegmentationDataset: need >= 2 class names (background first), got "
                    + (classNames == null ? null : Arrays.toString(classNames)));
        }
        if (spacing == null || spacing.length != 3 || !(spacing[0] > 0 && spacing[1] > 0 && spacing[2] > 0)) {
            throw new IllegalArgumentException("SegmentationDataset: spacing must be 3 positive values [sz, sy, sx] mm, got "
                    + Arrays.toString(spacing));
        }
        if (validationAffines == null || validationAffines.size() != validation.size()) {
            throw new IllegalArgumentException("SegmentationDataset: need one affine per validation volume (" + validation.size()
                    + "), got " + (validationAffines == null ? null : validationAffines.size()));
        }
        if (xformCode < 0 || xformCode > 4) throw new IllegalArgumentException("SegmentationDataset: xformCode must be in 0..4, got " + xformCode);
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        classNames = classNames.clone();
        spacing = spacing.clone();
        validationAffines = List.copyOf(validationAffines);
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters == null ? Map.of() : parameters));
    }

    /** The 4x4 affine of a grid with this spacing at the origin: diag(sx, sy, sz, 1). */
    public static double[][] scaling(double[] spacing) {
        return new double[][] {{spacing[2], 0, 0, 0}, {0, spacing[1], 0, 0}, {0, 0, spacing[0], 0}, {0, 0, 0, 1}};
    }

    /**
     * The phantom data set: {@code trainVolumes} phantoms from seeds {@code seed + i}, {@code
     * validationVolumes} from seeds {@code seed + 1000 + j}, all cubes of side {@code size}, 1 mm
     * isotropic voxels.
     */
    public static SegmentationDataset phantoms(long seed, int size, int trainVolumes, int validationVolumes) {
        return phantoms(seed, size, trainVolumes, validationVolumes, Phantoms.Preset.DEFAULT);
    }

    /** As {@link #phantoms(long, int, int, int)} with the lesions of {@code preset}; the data set's name is the preset's {@code --data} name. */
    public static SegmentationDataset phantoms(long seed, int size, int trainVolumes, int validationVolumes, Phantoms.Preset preset) {
        if (trainVolumes < 1 || validationVolumes < 1) {
            throw new IllegalArgumentException("SegmentationDataset.phantoms: trainVolumes and validationVolumes must be >= 1, got "
                    + trainVolumes + " and " + validationVolumes);
        }
        LabeledVolume[] train = new LabeledVolume[trainVolumes], val = new LabeledVolume[validationVolumes];
        double[][][] affines = new double[validationVolumes][][];
        double[] spacing = {1, 1, 1};
        for (int i = 0; i < trainVolumes; i++) train[i] = Phantoms.generate(seed + i, size, preset);
        for (int j = 0; j < validationVolumes; j++) {
            val[j] = Phantoms.generate(seed + 1000 + j, size, preset);
            affines[j] = scaling(spacing);
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("volume-size", Integer.toString(size));
        parameters.put("train-volumes", Integer.toString(trainVolumes));
        parameters.put("val-volumes", Integer.toString(validationVolumes));
        return new SegmentationDataset(preset.dataName(), List.of(train), List.of(val), Phantoms.CLASS_NAMES, spacing, List.of(affines),
                org.segloss.io.NiftiImage.XFORM_UNKNOWN,
                String.format(Locale.ROOT, "%s: %d+%d synthetic volumes of %d^3", preset.dataName(), trainVolumes, validationVolumes, size),
                parameters);
    }

    /**
     * The MNI data set ({@link MniAtlas#load(Path, int)}): the left hemisphere of the Colin27 T1
     * with the AAL deep grey matter trains, the mirrored right one validates; the affine is the
     * mirrored crop's in MNI space.
     *
     * @param downsample 1 (1 mm voxels) or 2 (2 mm)
     * @throws java.io.FileNotFoundException when the templates are absent (the message gives the install command)
     */
    public static SegmentationDataset mni(Path dir, int downsample) throws IOException {
        MniAtlas.Split s = MniAtlas.load(dir, downsample);
        String[] names = s.classNames().toArray(String[]::new);
        return new SegmentationDataset("mni", List.of(s.train()), List.of(s.validation()), names, s.spacing(),
                List.<double[][]>of(s.validationAffine()), org.segloss.io.NiftiImage.XFORM_MNI_152,
                String.format(Locale.ROOT, "mni: Colin27 T1 + AAL deep grey matter, %d mm, left hemisphere %s for training,"
                        + " mirrored right for validation", downsample, s.train().labels().shape()),
                Map.of("mni-downsample", Integer.toString(downsample)));
    }
}
