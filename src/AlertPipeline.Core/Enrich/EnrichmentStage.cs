using AlertPipeline.Core.Enrich.Enrichers;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Enrich;

/// <summary>
/// The enrich stage and its registry: the enrichers over one inventory snapshot and one indicator set, in explicit
/// order (address classes and sandbox attribution first, since later enrichers and rules read them).
/// </summary>
public sealed class EnrichmentStage
{
    private readonly IEnricher[] _enrichers;

    /// <summary>The stage over <paramref name="sandboxes"/>, without threat indicators.</summary>
    public EnrichmentStage(SandboxSnapshot sandboxes)
        : this(sandboxes, IndicatorSet.Empty)
    {
    }

    /// <summary>The stage over <paramref name="sandboxes"/> and <paramref name="indicators"/>.</summary>
    public EnrichmentStage(SandboxSnapshot sandboxes, IndicatorSet indicators)
    {
        Sandboxes = sandboxes;
        _enrichers =
        [
            new AddressClassEnricher(),
            new SandboxEnricher(sandboxes),
            new EgressEnricher(sandboxes),
            new GpuUsageEnricher(sandboxes),
            new IndicatorEnricher(indicators),
        ];
    }

    /// <summary>The inventory snapshot this stage reads.</summary>
    public SandboxSnapshot Sandboxes { get; }

    /// <summary>Enriches every event of <paramref name="batch"/>.</summary>
    public void Enrich(EventBatch batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            foreach (var enricher in _enrichers)
            {
                enricher.Enrich(batch, i);
            }
        }
    }
}
