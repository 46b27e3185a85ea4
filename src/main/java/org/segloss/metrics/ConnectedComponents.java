package org.segloss.metrics;

import java.util.Arrays;

/**
 * Connected-component labelling of a 3-D (or 2-D) label map: voxels with the same non-zero value
 * that are neighbours belong to one component; value 0 is background and belongs to none.
 *
 * <p><b>Connectivity.</b> 6 (faces), 18 (faces and edges) or 26 (faces, edges and corners) in 3-D,
 * SciPy's {@code ndimage.generate_binary_structure(3, 1 | 2 | 3)}. A {@code [H, W]} map is one
 * slice: 6 then means 4-connected and 18 or 26 mean 8-connected.
 *
 * <p><b>Order.</b> Components are numbered 1, 2, ... in the memory (row-major) order of their first
 * voxel, so the numbering depends on nothing but the map: deterministic, and a scan order any
 * caller can reproduce. The fill is an explicit stack (no recursion), O(voxels × connectivity).
 *
 * <p>Used by the lesion-wise detection counts ({@link LesionDetection}, 26-connected) and by the
 * U-Net example's largest-component post-processing (6-connected).
 */
public final class ConnectedComponents {
    private final int[] component;
    private final int count;
    private final long[] sizes;
    private final int[] values;

    private ConnectedComponents(int[] component, int count, long[] sizes, int[] values) {
        this.component = component;
        this.count = count;
        this.sizes = sizes;
        this.values = values;
    }

    /** Number of components. */
    public int count() {
        return count;
    }

    /** Component id of each voxel (row-major, the map's length): 0 for background, else 1..count(). */
    public int[] componentOf() {
        return component.clone();
    }

    /** Component id of voxel {@code flat}: 0 for background, else 1..count(). */
    public int componentOf(int flat) {
        return component[flat];
    }

    /** Voxels of component {@code id} (1..count()). */
    public long size(int id) {
        checkId(id);
        return sizes[id];
    }

    /** The map's value of component {@code id} (1..count()). */
    public int value(int id) {
        checkId(id);
        return values[id];
    }

    private void checkId(int id) {
        if (id < 1 || id > count) throw new IllegalArgumentException("ConnectedComponents: id must be in [1, " + count + "], got " + id);
    }

    /** Components of a binary mask (true = foreground), every component's value 1. */
    public static ConnectedComponents label(boolean[] mask, int[] dims, int connectivity) {
        if (mask == null) throw new IllegalArgumentException("ConnectedComponents.label: mask must not be null");
        int[] v = new int[mask.length];
        for (int i = 0; i < v.length; i++) v[i] = mask[i] ? 1 : 0;
        return label(v, dims, connectivity);
    }

    /**
     * Components of a label map: neighbours with the same non-zero value are joined.
     *
     * @param values row-major map of {@code dims}
     * @param dims {@code [D, H, W]} or {@code [H, W]}, each &ge; 1
     * @param connectivity 6, 18 or 26
     * @throws IllegalArgumentException on a bad rank, dims, length or connectivity
     */
    public static ConnectedComponents label(int[] values, int[] dims, int connectivity) {
        String op = "ConnectedComponents.label";
        if (values == null || dims == null) throw new IllegalArgumentException(op + ": values and dims must not be null");
        if (dims.length != 2 && dims.length != 3) {
            throw new IllegalArgumentException(op + ": dims must be [H, W] or [D, H, W], got " + Arrays.toString(dims));
        }
        long n = 1;
        for (int d : dims) {
            if (d < 1) throw new IllegalArgumentException(op + ": dims must be >= 1, got " + Arrays.toString(dims));
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException(op + ": values must have " + n + " entries for dims " + Arrays.toString(dims) + ", got "
                    + values.length);
        }
        int[][] offsets = offsets(connectivity);
        int d = dims.length == 3 ? dims[0] : 1, h = dims[dims.length - 2], w = dims[dims.length - 1];
        int len = values.length;
        int[] component = new int[len];
        int[] stack = new int[len];
        long[] sizes = new long[16];
        int[] vals = new int[16];
        int components = 0;
        for (int start = 0; start < len; start++) {
            int c = values[start];
            if (c == 0 || component[start] != 0) continue;
            int id = ++components;
            if (id >= sizes.length) {
                sizes = Arrays.copyOf(sizes, sizes.length * 2);
                vals = Arrays.copyOf(vals, vals.length * 2);
            }
            vals[id] = c;
            int top = 0;
            long size = 0;
            stack[top++] = start;
            component[start] = id;
            while (top > 0) {
                int i = stack[--top];
                size++;
                int x = i % w, y = (i / w) % h, z = i / (w * h);
                for (int[] o : offsets) {
                    int zz = z + o[0], yy = y + o[1], xx = x + o[2];
                    if (zz < 0 || zz >= d || yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                    int j = (zz * h + yy) * w + xx;
                    if (values[j] == c && component[j] == 0) {
                        component[j] = id;
                        stack[top++] = j;
                    }
                }
            }
            sizes[id] = size;
        }
        return new ConnectedComponents(component, components, Arrays.copyOf(sizes, components + 1), Arrays.copyOf(vals, components + 1));
    }

    /** The neighbour offsets {dz, dy, dx} of a connectivity. */
    static int[][] offsets(int connectivity) {
        int maxL1 = switch (connectivity) {
            case 6 -> 1;
            case 18 -> 2;
            case 26 -> 3;
            default -> throw new IllegalArgumentException("ConnectedComponents: connectivity must be 6, 18 or 26, got " + connectivity);
        };
        int[][] out = new int[connectivity][];
        int k = 0;
        for (int dz = -1; dz <= 1; dz++) {
            for (int dy = -1; dy <= 1; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    int l1 = Math.abs(dz) + Math.abs(dy) + Math.abs(dx);
                    if (l1 > 0 && l1 <= maxL1) out[k++] = new int[] {dz, dy, dx};
                }
            }
        }
        return out;
    }
}
