package org.segloss.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.segloss.tensor.Tensor;

/**
 * Reverse-mode sweep: an iterative topological sort of the nodes behind a root (no recursion,
 * so a 100,000-node chain cannot overflow the stack), then each node's backward in reverse
 * order. Gradients add up: a node used twice, or reached along both sides of a diamond,
 * receives the sum. Leaves that require a gradient accumulate into {@link Var#grad()}; the
 * gradients of intermediate nodes live only during the sweep; each node's saved tensors are
 * freed as soon as its backward has run.
 */
final class Graph {
    private Graph() {}

    static void backward(Var root, Tensor seed) {
        if (root.node == null) {
            if (root.requiresGrad()) root.accumulate(seed);   // a leaf: d root / d root = seed
            return;
        }
        List<Node> order = topologicalOrder(root.node);
        Map<Node, Tensor[]> grads = new IdentityHashMap<>();
        Map<Node, boolean[]> owned = new IdentityHashMap<>();   // per output: a gradient only the graph holds
        grads.computeIfAbsent(root.node, n -> new Tensor[n.outputs])[root.outputIndex] = seed;   // the caller's: not owned
        for (int i = order.size() - 1; i >= 0; i--) {
            Node node = order.get(i);
            Tensor[] gOut = grads.remove(node);
            boolean[] gOwned = owned.remove(node);
            if (gOut == null) continue;                        // no path from the root uses it
            if (node.ctx == null) {
                throw new IllegalStateException("backward: the graph through " + node.fn.name()
                        + " was already freed by an earlier backward; build it again");
            }
            for (int o = 0; o < node.outputs; o++) {
                if (gOut[o] == null && !node.ctx.isNonDifferentiable(o)) gOut[o] = Tensor.zeros(node.outputShapes[o]);
            }
            if (gOwned != null) node.ctx.ownGradOutputs(gOwned);
            Tensor[] gIn = node.fn.backwardAll(node.ctx, gOut);
            if (gIn == null || gIn.length != node.inputs.length) {
                throw new IllegalStateException(node.fn.name() + ".backward must return " + node.inputs.length
                        + " gradients (one per input, null where not needed), got " + (gIn == null ? "null" : gIn.length));
            }
            boolean[] handedOver = new boolean[gIn.length];
            for (int k = 0; k < gIn.length; k++) handedOver[k] = node.ctx.isHandedOver(k);
            node.ctx.release();
            node.ctx = null;
            for (int k = 0; k < gIn.length; k++) {
                Var in = node.inputs[k];
                if (!in.requiresGrad() || gIn[k] == null) continue;
                if (!gIn[k].shape().equals(in.shape())) {
                    throw new IllegalStateException(node.fn.name() + ".backward: gradient " + k + " must have the input's shape "
                            + in.shape() + ", got " + gIn[k].shape());
                }
                if (in.node == null) {
                    in.accumulate(gIn[k], handedOver[k]);
                } else {
                    Tensor[] slot = grads.computeIfAbsent(in.node, n -> new Tensor[n.outputs]);
                    boolean[] own = owned.computeIfAbsent(in.node, n -> new boolean[n.outputs]);
                    int o = in.outputIndex;
                    if (slot[o] == null) {
                        slot[o] = gIn[k];
                        own[o] = handedOver[k];
                    } else if (own[o]) {
                        slot[o].addi(gIn[k]);                  // the graph's own sum: added into in place
                    } else {
                        // out of place: a backward may return its gradOutput itself, which must stay intact
                        slot[o] = slot[o].add(gIn[k]);
                        own[o] = true;
                    }
                }
            }
        }
    }

    /** Nodes ordered so that every node comes after the nodes of its inputs. */
    static List<Node> topologicalOrder(Node root) {
        List<Node> order = new ArrayList<>();
        Map<Node, Boolean> state = new IdentityHashMap<>();    // false: on the stack, true: done
        ArrayDeque<Node> stack = new ArrayDeque<>();
        ArrayDeque<Integer> next = new ArrayDeque<>();         // next input to visit, per stack entry
        stack.push(root);
        next.push(0);
        state.put(root, false);
        while (!stack.isEmpty()) {
            Node n = stack.peek();
            int i = next.pop();
            if (i < n.inputs.length) {
                next.push(i + 1);
                Node child = n.inputs[i].node;
                if (child != null && !state.containsKey(child)) {
                    state.put(child, false);
                    stack.push(child);
                    next.push(0);
                }
            } else {
                stack.pop();
                state.put(n, true);
                order.add(n);
            }
        }
        return order;
    }
}
