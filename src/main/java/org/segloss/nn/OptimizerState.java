package org.segloss.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of an {@link Optimizer}'s state, so that training can stop and resume exactly
 * ({@link Optimizer#state()}, {@link Optimizer#loadState(OptimizerState)}, {@link Checkpoint}).
 *
 * @param type     the optimizer's class name ("SGD", "AdamW"); loading into another type fails
 * @param steps    steps taken (AdamW's t, which its bias correction needs; 0 for SGD)
 * @param settings learning rate ("lr") and hyper-parameters by name, as float32 (booleans as 0 or
 *                 1); loading restores lr and requires the others to be identical, since a
 *                 resumed run with another momentum or weight decay would not continue the run
 * @param slots    per parameter, in the optimizer's parameter order, its buffers by name
 *                 (SGD "momentum_buffer"; AdamW "m", "v"), each as long as the parameter;
 *                 empty for a parameter that has not been updated yet (its buffers are created
 *                 on its first update, which differs from an update with zero buffers for
 *                 SGD)
 *
 * <p>The arrays are copied in and handed out as they are; as with any record holding arrays,
 * {@code equals} compares them by reference.
 */
public record OptimizerState(String type, long steps, Map<String, Float> settings, List<Map<String, float[]>> slots) {

    /** Deep copies everything, so the snapshot never aliases the optimizer's arrays. */
    public OptimizerState {
        if (type == null || type.isEmpty()) throw new IllegalArgumentException("OptimizerState: type must be non-empty, got '" + type + "'");
        if (steps < 0) throw new IllegalArgumentException("OptimizerState: steps must be >= 0, got " + steps);
        if (settings == null) throw new IllegalArgumentException("OptimizerState: settings must not be null");
        if (slots == null) throw new IllegalArgumentException("OptimizerState: slots must not be null");
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        List<Map<String, float[]>> copy = new ArrayList<>(slots.size());
        for (int i = 0; i < slots.size(); i++) {
            Map<String, float[]> s = slots.get(i);
            if (s == null) throw new IllegalArgumentException("OptimizerState: slots[" + i + "] is null");
            Map<String, float[]> c = new LinkedHashMap<>();
            for (Map.Entry<String, float[]> e : s.entrySet()) {
                if (e.getValue() == null) throw new IllegalArgumentException("OptimizerState: slot '" + e.getKey() + "' of parameter " + i + " is null");
                c.put(e.getKey(), e.getValue().clone());
            }
            copy.add(Collections.unmodifiableMap(c));
        }
        slots = Collections.unmodifiableList(copy);
    }
}
