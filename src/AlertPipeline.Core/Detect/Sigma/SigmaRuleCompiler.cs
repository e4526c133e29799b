namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>Compiles Sigma YAML into a <see cref="CompiledRule"/>. (Being written: see docs/sigma.md.)</summary>
public static class SigmaRuleCompiler
{
    /// <summary>Parses and compiles one Sigma rule; throws <see cref="RuleCompileException"/> with its location.</summary>
    public static CompiledRule Compile(string yaml) => throw new RuleCompileException(null, 0, 0, "Sigma compiler not yet available");
}
