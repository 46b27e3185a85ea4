package org.segloss.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.segloss.autograd.Var;

/** Bad input fails fast with a message that names the op, the parameter, expected and actual. */
class BadInputTest {

    static void fails(Executable e, String... mustContain) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String s : mustContain) assertTrue(ex.getMessage().contains(s), "'" + s + "' missing from: " + ex.getMessage());
    }

    @Test
    void incompatibleBroadcast() {
        fails(() -> Tensor.ones(2, 3).add(Tensor.ones(4)), "add", "[2, 3]", "[4]");
        fails(() -> Var.param(Tensor.ones(2, 3)).mul(Var.param(Tensor.ones(2))), "mul", "[2, 3]", "[2]");
        fails(() -> Tensor.ones(3).broadcastTo(Shape.of(2, 4)), "broadcastTo", "[3]", "[2, 4]");
    }

    @Test
    void badAxes() {
        fails(() -> Tensor.ones(2, 3).sum(new int[] {2}, false), "sum", "axes", "[-2, 1]", "got 2");
        fails(() -> Tensor.ones(2, 3).sum(new int[] {1, -1}, false), "sum", "distinct");
        fails(() -> Tensor.ones(2, 3).softmax(5), "softmax", "axis", "[2, 3]", "got 5");
        fails(() -> Tensor.ones(2, 3).permute(0, 0), "permute", "permutation");
        fails(() -> Tensor.ones(2, 3).permute(0), "permute", "2 axes");
        fails(() -> Tensor.ones(2, 3).slice(1, 2, 4), "slice", "end <= 3", "end=4");
    }

    /** softmax into a given output: the same bits as a new tensor; out must fit and share nothing. */
    @Test
    void softmaxIntoAnOutput() {
        Tensor x = Tensor.randn(7, 2, 3, 5);
        Tensor out = Tensor.full(Float.NaN, 2, 3, 5);
        assertTrue(x.softmax(1, out) == out, "returns out");
        org.junit.jupiter.api.Assertions.assertArrayEquals(x.softmax(1).toArray(), out.toArray(), "the bits of softmax(axis)");
        fails(() -> x.softmax(1, null), "softmax", "out must not be null");
        fails(() -> x.softmax(1, Tensor.zeros(2, 5, 3)), "softmax", "[2, 3, 5]", "got [2, 5, 3]");
        fails(() -> x.softmax(1, x), "softmax", "must not share its array", "[2, 3, 5]");
        fails(() -> x.softmax(4, Tensor.zeros(2, 3, 5)), "softmax", "axis", "got 4");
    }

    @Test
    void shapeMismatches() {
        fails(() -> Tensor.ones(2, 3).reshape(4, 2), "reshape", "6 elements", "[4, 2]");
        fails(() -> Tensor.ones(2, 3).matMul(Tensor.ones(2, 3)), "matMul", "inner dimensions", "[2, 3]");
        fails(() -> Tensor.of(new float[3], 2, 2), "values.length", "[2, 2]", "got 3");
        fails(() -> Tensor.concat(0, Tensor.ones(2, 3), Tensor.ones(2, 4)), "concat", "[2, 3]", "[2, 4]");
        fails(() -> Tensor.ones(2).addi(Tensor.ones(3)), "addi", "[2]", "[3]");
    }

    @Test
    void badLabelsAndIndices() {
        fails(() -> LabelTensor.of(new int[] {0, 3}, 1, 2).oneHot(3), "oneHot", "[0, 3)", "got 3");
        fails(() -> Tensor.ones(2, 3).gather(1, LabelTensor.of(new int[] {3, 0}, 2, 1)), "gather", "[0, 3)", "got 3");
        fails(() -> Tensor.ones(2, 3).gather(1, LabelTensor.of(new int[] {0, 0}, 2)), "gather", "rank 2");
    }

    @Test
    void badOptions() {
        fails(() -> Tensor.ones(2).clamp(1f, 0f), "clamp", "lo <= hi");
        fails(() -> Tensor.arange(0f, 1f, 0f), "arange", "step");
        fails(() -> Var.param(Tensor.ones(2)).clamp(1f, -1f), "clamp", "lo=1.0");
    }
}
