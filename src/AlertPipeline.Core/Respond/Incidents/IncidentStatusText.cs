namespace AlertPipeline.Core.Respond.Incidents;

/// <summary>An <see cref="IncidentStatus"/> as the HTTP API and the CLI spell it: <c>open</c>, <c>acknowledged</c>, <c>contained</c>, <c>resolved</c>.</summary>
public static class IncidentStatusText
{
    /// <summary>The text of <paramref name="status"/>.</summary>
    public static string ToText(this IncidentStatus status) => status switch
    {
        IncidentStatus.Open => "open",
        IncidentStatus.Acknowledged => "acknowledged",
        IncidentStatus.Contained => "contained",
        IncidentStatus.Resolved => "resolved",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>Parses exactly one of the four names (any case, surrounding space ignored); no numbers, no lists.</summary>
    public static bool TryParse(string? text, out IncidentStatus status)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "open": status = IncidentStatus.Open; return true;
            case "acknowledged": status = IncidentStatus.Acknowledged; return true;
            case "contained": status = IncidentStatus.Contained; return true;
            case "resolved": status = IncidentStatus.Resolved; return true;
            default: status = default; return false;
        }
    }
}
