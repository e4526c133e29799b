using System.Text.Json;

namespace AlertPipeline.Core.Respond;

/// <summary>The embedded-mode twin of the Table alert store. Stores copies, so callers cannot mutate stored state.</summary>
public sealed class InMemoryAlertStore : IAlertStore
{
    private readonly Dictionary<string, (string Json, string ETag)> _alerts = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _version;

    /// <inheritdoc />
    public Task<Alert?> GetAsync(string alertId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_alerts.TryGetValue(alertId, out var stored) ? Restore(stored) : null);
        }
    }

    /// <inheritdoc />
    public Task<bool> TryAddAsync(Alert alert, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_alerts.ContainsKey(alert.AlertId))
            {
                return Task.FromResult(false);
            }

            Store(alert);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateAsync(Alert alert, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_alerts.TryGetValue(alert.AlertId, out var stored) || stored.ETag != alert.ETag)
            {
                return Task.FromResult(false);
            }

            Store(alert);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Alert>> ListAsync(int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<Alert> list = _alerts.Values.Select(Restore)
                .OrderByDescending(a => a.LastSeen).ThenBy(a => a.AlertId, StringComparer.Ordinal)
                .Take(max).ToList();
            return Task.FromResult(list);
        }
    }

    private void Store(Alert alert)
    {
        alert.ETag = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _alerts[alert.AlertId] = (JsonSerializer.Serialize(alert, AlertJson.Options), alert.ETag);
    }

    private static Alert Restore((string Json, string ETag) stored)
    {
        var alert = JsonSerializer.Deserialize<Alert>(stored.Json, AlertJson.Options)!;
        alert.ETag = stored.ETag;
        return alert;
    }
}
