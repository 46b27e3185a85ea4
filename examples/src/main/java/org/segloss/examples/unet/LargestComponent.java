package org.segloss.examples.unet;

import org.segloss.tensor.LabelTensor;

/**
 * Post-processing of a label map: per foreground class, keep only the largest 6-connected
 * component and set the voxels of the other components to the background (0).
 *
 * <p>Why: a small network trained on one brain predicts scattered islands of a structure's
 * intensity elsewhere (cortex that looks like putamen). A handful of islands barely moves the
 * Dice but sets the 95th-percentile Hausdorff distance to the distance of the islands. When every
 * class is one connected structure (each deep grey-matter nucleus of one hemisphere; the
 * phantoms' organ and structure), keeping the largest component is the rule nnU-Net's
 * post-processing applies when it helps on validation (Isensee et al., Nature Methods 2021). The
 * phantoms' lesions are several balls, so the rule would delete all but one: do not use it there.
 *
 * <p>Shapes: labels {@code [D, H, W]}. Ties between components of equal size keep the one whose
 * first voxel comes first in memory order, so the result is deterministic.
 */
public final class LargestComponent {
    private LargestComponent() {}

    /** A copy of {@code labels [D, H, W]} with every class 1..classes-1 reduced to its largest 6-connected component. */
    public static LabelTensor apply(LabelTensor labels, int classes) {
        if (labels.shape().rank() != 3) {
            throw new IllegalArgumentException("LargestComponent.apply: labels must have rank 3 [D, H, W], got " + labels.shape());
        }
        if (classes < 2) throw new IllegalArgumentException("LargestComponent.apply: classes must be >= 2, got " + classes);
        int d = labels.shape().dim(0), h = labels.shape().dim(1), w = labels.shape().dim(2);
        int[] lab = labels.toArray();
        int n = lab.length;
        for (int v : lab) {
            if (v < 0 || v >= classes) {
                throw new IllegalArgumentException("LargestComponent.apply: labels must be in [0, " + classes + "), got " + v);
            }
        }
        int[] component = new int[n];          // 0 = not visited; else component id (1-based)
        int[] stack = new int[n];
        int[] sizes = new int[n + 1];
        int[] classOf = new int[n + 1];
        int components = 0;
        for (int start = 0; start < n; start++) {
            int c = lab[start];
            if (c == 0 || component[start] != 0) continue;
            int id = ++components;
            classOf[id] = c;
            int top = 0, size = 0;
            stack[top++] = start;
            component[start] = id;
            while (top > 0) {
                int i = stack[--top];
                size++;
                int x = i % w, y = (i / w) % h, z = i / (w * h);
                if (x > 0) top = push(lab, component, stack, top, i - 1, c, id);
                if (x < w - 1) top = push(lab, component, stack, top, i + 1, c, id);
                if (y > 0) top = push(lab, component, stack, top, i - w, c, id);
                if (y < h - 1) top = push(lab, component, stack, top, i + w, c, id);
                if (z > 0) top = push(lab, component, stack, top, i - w * h, c, id);
                if (z < d - 1) top = push(lab, component, stack, top, i + w * h, c, id);
            }
            sizes[id] = size;
        }
        int[] keep = new int[classes];         // component id kept per class (the first largest)
        for (int id = 1; id <= components; id++) {
            int c = classOf[id];
            if (keep[c] == 0 || sizes[id] > sizes[keep[c]]) keep[c] = id;
        }
        int[] out = lab.clone();
        for (int i = 0; i < n; i++) {
            if (out[i] != 0 && component[i] != keep[out[i]]) out[i] = 0;
        }
        return LabelTensor.of(out, d, h, w);
    }

    private static int push(int[] lab, int[] component, int[] stack, int top, int j, int c, int id) {
        if (lab[j] == c && component[j] == 0) {
            component[j] = id;
            stack[top++] = j;
        }
        return top;
    }
}
