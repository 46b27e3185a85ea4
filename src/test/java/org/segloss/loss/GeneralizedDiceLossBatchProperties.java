package org.segloss.loss;

/**
 * {@link LossPropertiesBase} for {@link GeneralizedDiceLoss} with {@code batch}: the statistics and
 * weights are pooled, so a batch of identical samples is not one sample (the smoothing enters
 * differently) and that property is skipped.
 */
class GeneralizedDiceLossBatchProperties extends GeneralizedDiceLossProperties {
    @Override
    protected boolean pooled() { return true; }

    @Override
    protected boolean perSampleMean() { return false; }
}
