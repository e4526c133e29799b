namespace AlertPipeline.Core.Enrich;

/// <summary>A row of an import file (inventory, indicators) that was skipped, with the line it starts on and why.</summary>
/// <param name="Line">1-based line of the row.</param>
/// <param name="Message">Why it was skipped.</param>
public sealed record SkippedRow(int Line, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"line {Line}: {Message}";
}
