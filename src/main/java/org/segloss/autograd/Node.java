package org.segloss.autograd;

import org.segloss.tensor.Shape;

/** One recorded application of a function: what backward needs, and nothing else. */
final class Node {
    final MultiFunction fn;
    Ctx ctx;
    final Var[] inputs;
    final int outputs;
    final Shape[] outputShapes;

    Node(MultiFunction fn, Ctx ctx, Var[] inputs, int outputs, Shape[] outputShapes) {
        this.fn = fn;
        this.ctx = ctx;
        this.inputs = inputs;
        this.outputs = outputs;
        this.outputShapes = outputShapes;
    }
}
