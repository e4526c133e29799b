using System.Text.Json;

namespace AlertPipeline.Core.Respond.Incidents;

/// <summary>The embedded-mode twin of the Table incident store. Stores copies, so callers cannot mutate stored state.</summary>
public sealed class InMemoryIncidentStore : IIncidentStore
{
    private readonly Dictionary<string, (string Json, string ETag)> _incidents = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _version;

    /// <inheritdoc />
    public Task<Incident?> GetAsync(string incidentId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_incidents.TryGetValue(incidentId, out var stored) ? Restore(stored) : null);
        }
    }

    /// <inheritdoc />
    public Task<Incident?> GetLatestAsync(string sandboxId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var latest = _incidents.Values.Select(Restore)
                .Where(i => i.SandboxId == sandboxId)
                .MaxBy(i => i.Sequence);
            return Task.FromResult(latest);
        }
    }

    /// <inheritdoc />
    public Task<bool> TryAddAsync(Incident incident, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_incidents.ContainsKey(incident.IncidentId))
            {
                return Task.FromResult(false);
            }

            Store(incident);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<bool> TryUpdateAsync(Incident incident, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_incidents.TryGetValue(incident.IncidentId, out var stored) || stored.ETag != incident.ETag)
            {
                return Task.FromResult(false);
            }

            Store(incident);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Incident>> ListAsync(IncidentQuery query, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<Incident> list = _incidents.Values.Select(Restore)
                .Where(i => query.SandboxId is null || i.SandboxId == query.SandboxId)
                .Where(i => query.Status is null || i.Status == query.Status)
                .Where(i => query.Since is null || i.LastSeen >= query.Since)
                .OrderByDescending(i => i.LastSeen).ThenBy(i => i.IncidentId, StringComparer.Ordinal)
                .Take(query.Max).ToList();
            return Task.FromResult(list);
        }
    }

    private void Store(Incident incident)
    {
        incident.ETag = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _incidents[incident.IncidentId] = (JsonSerializer.Serialize(incident, AlertJson.Options), incident.ETag);
    }

    private static Incident Restore((string Json, string ETag) stored)
    {
        var incident = JsonSerializer.Deserialize<Incident>(stored.Json, AlertJson.Options)!;
        incident.ETag = stored.ETag;
        return incident;
    }
}
