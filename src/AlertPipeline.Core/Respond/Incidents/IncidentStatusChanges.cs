namespace AlertPipeline.Core.Respond.Incidents;

/// <summary>
/// Moves an incident's status under its ETag and records the change on the timeline. Status only moves forward
/// (open, acknowledged, contained, resolved) unless the caller forces it (an operator reopening), so a late acknowledgement
/// cannot undo a containment and a redelivered change is a no-op.
/// </summary>
public static class IncidentStatusChanges
{
    /// <summary>
    /// Sets <paramref name="incidentId"/>'s status to <paramref name="status"/> by <paramref name="by"/> at
    /// <paramref name="at"/>. Returns the stored incident (unchanged when the status was already there or further),
    /// or null when there is no such incident.
    /// </summary>
    public static async Task<Incident?> SetAsync(
        IIncidentStore store,
        string incidentId,
        IncidentStatus status,
        string by,
        DateTimeOffset at,
        string? note,
        CancellationToken cancellationToken,
        bool force = false,
        int maxConcurrencyRetries = 8)
    {
        for (var attempt = 0; ; attempt++)
        {
            var incident = await store.GetAsync(incidentId, cancellationToken).ConfigureAwait(false);
            if (incident is null)
            {
                return null;
            }

            if (incident.Status == status || (!force && incident.Status > status))
            {
                return incident;
            }

            var cleanBy = SafeText.Clean(by, 128);
            incident.Status = status;
            incident.StatusBy = cleanBy;
            incident.StatusAt = at;
            incident.UpdatedAt = at;
            var summary = $"status {status.ToString().ToLowerInvariant()} by {cleanBy}" + (note is null ? string.Empty : ": " + SafeText.Clean(note, 256));
            incident.Timeline.Add(new IncidentTimelineEntry(at, TimelineKinds.Status, summary, $"status:{status.ToString().ToLowerInvariant()}:{at.UtcTicks}"));
            if (await store.TryUpdateAsync(incident, cancellationToken).ConfigureAwait(false))
            {
                return incident;
            }

            if (attempt >= maxConcurrencyRetries)
            {
                throw new InvalidOperationException($"Incident {incidentId} kept changing concurrently; giving up after {attempt + 1} tries.");
            }
        }
    }
}
