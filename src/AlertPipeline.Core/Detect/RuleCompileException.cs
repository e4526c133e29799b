namespace AlertPipeline.Core.Detect;

/// <summary>
/// A rule that cannot be compiled, located precisely: rule id (when it could be read), 1-based line and
/// column in the YAML, and what is wrong. Thrown only at compile time, never while evaluating events.
/// </summary>
public sealed class RuleCompileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RuleCompileException(string? ruleId, int line, int column, string problem, Exception? inner = null)
        : base(Format(ruleId, line, column, problem), inner)
    {
        RuleId = ruleId;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The rule's id, if the YAML got that far.</summary>
    public string? RuleId { get; }

    /// <summary>1-based line in the YAML (0 when unknown).</summary>
    public int Line { get; }

    /// <summary>1-based column in the YAML (0 when unknown).</summary>
    public int Column { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    private static string Format(string? ruleId, int line, int column, string problem)
        => $"rule {ruleId ?? "<no id>"} line {line} column {column}: {problem}";
}
