using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Enrich;

/// <summary>
/// Adds context to one event in place, reading only an immutable snapshot. Add one with a file under
/// <c>Enrich/Enrichers</c> and one line in <see cref="EnrichmentStage"/>.
/// </summary>
public interface IEnricher
{
    /// <summary>Enriches event <paramref name="index"/> of <paramref name="batch"/>.</summary>
    void Enrich(EventBatch batch, int index);
}
