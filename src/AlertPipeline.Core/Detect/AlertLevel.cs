namespace AlertPipeline.Core.Detect;

/// <summary>Sigma rule levels, ordered by harm.</summary>
public enum AlertLevel
{
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>Parsing and naming of <see cref="AlertLevel"/> as Sigma spells it.</summary>
public static class AlertLevels
{
    /// <summary>Parses a Sigma level name (case-insensitive).</summary>
    public static bool TryParse(string? text, out AlertLevel level)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "informational": level = AlertLevel.Informational; return true;
            case "low": level = AlertLevel.Low; return true;
            case "medium": level = AlertLevel.Medium; return true;
            case "high": level = AlertLevel.High; return true;
            case "critical": level = AlertLevel.Critical; return true;
            default: level = default; return false;
        }
    }

    /// <summary>The Sigma spelling of <paramref name="level"/>.</summary>
    public static string ToSigma(this AlertLevel level) => level switch
    {
        AlertLevel.Informational => "informational",
        AlertLevel.Low => "low",
        AlertLevel.Medium => "medium",
        AlertLevel.High => "high",
        AlertLevel.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };
}
