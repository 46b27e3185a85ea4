package org.segloss.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/** A 2-layer conv net learns to copy a binary mask: the loss falls at least 10x within 50 steps. */
class ConvergenceTest {

    private static Tensor mask(long seed) {
        float[] v = Tensor.rand(seed, 2 * 8 * 8 * 8).toArray();
        for (int i = 0; i < v.length; i++) v[i] = v[i] < 0.3f ? 1f : 0f;
        return Tensor.wrap(v, 2, 1, 8, 8, 8);
    }

    private static float train(Optimizer opt, Module net, Tensor x, int steps, float[] first) {
        float loss = 0;
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            Var y = net.forward(Var.constant(x));
            Var l = y.sub(x).square().mean();
            l.backward();
            opt.step();
            loss = l.item();
            if (s == 0) first[0] = loss;
        }
        return loss;
    }

    @Test
    void adamWLearnsToCopyAMask() {
        Module net = new Sequential(new Conv3d(1, 4, 1), new LeakyReLU(), new Conv3d(4, 1, 2));
        float[] first = new float[1];
        float last = train(new AdamW(net.parameters(), 0.01f), net, mask(3), 50, first);
        assertTrue(last * 10 <= first[0], "AdamW loss " + first[0] + " -> " + last);
    }

    @Test
    void sgdNesterovLearnsToCopyAMask() {
        Module net = new Sequential(new Conv3d(1, 4, 1), new InstanceNorm3d(4), new ReLU(), new Conv3d(4, 1, 2));
        float[] first = new float[1];
        float last = train(new SGD(net.parameters(), 0.05f, 0.9f, true, 3e-5f), net, mask(4), 50, first);
        assertTrue(last * 10 <= first[0], "SGD loss " + first[0] + " -> " + last);
    }
}
