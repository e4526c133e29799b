using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest;

/// <summary>Where rejected events go, with their reason and source position (Table <c>deadletters</c> in Azure).</summary>
public interface IDeadLetterStore
{
    /// <summary>Stores <paramref name="rejects"/>. Idempotent: the same position and reason overwrite, not duplicate.</summary>
    Task WriteAsync(IReadOnlyList<RejectedEvent> rejects, CancellationToken cancellationToken);
}

/// <summary>The embedded-mode twin of the dead-letter store.</summary>
public sealed class InMemoryDeadLetterStore : IDeadLetterStore
{
    private readonly Dictionary<(SourcePosition, string), RejectedEvent> _items = [];

    /// <summary>Everything stored, in arrival order.</summary>
    public IReadOnlyList<RejectedEvent> Items
    {
        get
        {
            lock (_items)
            {
                return [.. _items.Values];
            }
        }
    }

    /// <inheritdoc />
    public Task WriteAsync(IReadOnlyList<RejectedEvent> rejects, CancellationToken cancellationToken)
    {
        lock (_items)
        {
            foreach (var reject in rejects)
            {
                _items[(reject.Position, reject.Reason)] = reject;
            }
        }

        return Task.CompletedTask;
    }
}
