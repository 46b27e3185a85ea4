package org.segloss.examples.unet;

import java.util.List;
import java.util.Map;

/**
 * What a training run needs from a data set: labelled training volumes, labelled validation
 * volumes, the class names (index 0 the background), the voxel spacing in millimetres
 * ({@code [sz, sy, sx]}, the axis order of the volumes {@code [D, H, W]}) shared by all volumes,
 * and, to write predictions back into the scanner's space, the voxel-to-world affine of each
 * validation volume (4x4, row-major; maps (x, y, z, 1) in NIfTI's index order, i.e. (W, H, D)
 * indices, to millimetres) with the NIfTI xform code of that space (0 unknown, 4 MNI-152).
 *
 * <p>{@link SegmentationDataset} is the built-in implementation (phantoms, MNI atlas); another
 * source of volumes implements this interface or builds a {@code SegmentationDataset}.
 */
public interface TrainingData {
    /** A short name, e.g. {@code phantom}; stored in the checkpoint as {@code data}. */
    String name();

    /** Training volumes, each image {@code [channels, D, H, W]} with labels {@code [D, H, W]}; not empty. */
    List<LabeledVolume> train();

    /** Validation volumes, as {@link #train()}; not empty. */
    List<LabeledVolume> validation();

    /** Class names, background first; {@code classNames().length} is the number of classes C. */
    String[] classNames();

    /** Voxel size in mm, {@code [sz, sy, sx]}. */
    double[] spacing();

    /** One 4x4 affine per validation volume. */
    List<double[][]> validationAffines();

    /** NIfTI xform code of the affines' space (0 unknown, 4 MNI-152). */
    int xformCode();

    /** One line for the run's header. */
    String description();

    /**
     * The parameters that made this data set (e.g. {@code volume-size}), in a fixed order: part of
     * the run's identity, stored in the checkpoint and compared on resume. Empty by default.
     */
    default Map<String, String> parameters() { return Map.of(); }

    /** Number of classes, background included. */
    default int classes() { return classNames().length; }

    /** Image channels (the first training volume's). */
    default int channels() { return train().get(0).channels(); }
}
