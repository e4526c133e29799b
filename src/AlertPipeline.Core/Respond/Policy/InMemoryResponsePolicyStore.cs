using System.Globalization;

namespace AlertPipeline.Core.Respond.Policy;

/// <summary>The embedded-mode twin of the Table response policy store.</summary>
public sealed class InMemoryResponsePolicyStore : IResponsePolicyStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ResponsePolicyEntry> _entries = new(StringComparer.Ordinal);
    private long _version;

    /// <inheritdoc />
    public Task<IReadOnlyList<ResponsePolicyEntry>> ListAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<ResponsePolicyEntry> list = [.. _entries.Values.OrderBy(e => e.Id, StringComparer.Ordinal)];
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<ResponsePolicyEntry> PutAsync(ResponsePolicyEntry entry, CancellationToken cancellationToken)
    {
        ResponsePolicyWrites.RequireValid(entry);
        return Task.FromResult(Store(entry));
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_entries.Remove(id));
        }
    }

    /// <summary>
    /// Stores <paramref name="entry"/> without validating it: stands in for a row edited by hand in the table, so tests
    /// can show what the provider does with one.
    /// </summary>
    public ResponsePolicyEntry PutUnchecked(ResponsePolicyEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Store(entry);
    }

    private ResponsePolicyEntry Store(ResponsePolicyEntry entry)
    {
        lock (_gate)
        {
            // Lists are copied so a caller changing its own list later cannot change the stored entry.
            var stored = entry with
            {
                Channels = [.. entry.Channels],
                Recipients = [.. entry.Recipients],
                ETag = $"\"{(++_version).ToString(CultureInfo.InvariantCulture)}\"",
            };
            _entries[entry.Id] = stored;
            return stored;
        }
    }
}
