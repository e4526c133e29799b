using System.Text.Json.Nodes;

namespace AlertPipeline.Infra.Tests.Bicep;

/// <summary>infra/main.bicep and its parameter files compiled once for all tests of a run (the CLI takes seconds).</summary>
public sealed class CompiledTemplates
{
    private readonly Lazy<JsonObject> _main = new(() => Build("main.bicep"));
    private readonly Lazy<IReadOnlyDictionary<string, JsonObject>> _parameters = new(BuildParameters);

    /// <summary>The ARM JSON of main.bicep, modules nested as deployments.</summary>
    public JsonObject Main => _main.Value;

    /// <summary>The ARM parameters JSON of each .bicepparam file, by file name.</summary>
    public IReadOnlyDictionary<string, JsonObject> Parameters => _parameters.Value;

    /// <summary>The nested template of the module deployment named <paramref name="name"/> in main.bicep.</summary>
    public JsonObject Module(string name) => ModuleDeployment(name)["properties"]!["template"]!.AsObject();

    /// <summary>The parameters main.bicep passes to module <paramref name="name"/> (ARM expressions as text).</summary>
    public IReadOnlyDictionary<string, string> ModuleParameters(string name)
        => ModuleDeployment(name)["properties"]!["parameters"]!.AsObject()
            .ToDictionary(p => p.Key, p => p.Value is JsonObject parameter
                ? Text(parameter["value"]!)
                : Text(p.Value!)); // a conditional value compiles to one expression for the whole parameter

    private static string Text(JsonNode node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : node.ToJsonString();

    /// <summary>Resources of <paramref name="template"/> of type <paramref name="type"/>.</summary>
    public static IEnumerable<JsonObject> Resources(JsonObject template, string type)
        => template["resources"]!.AsArray().Select(r => r!.AsObject()).Where(r => (string?)r["type"] == type);

    /// <summary>The one resource of <paramref name="type"/> in module <paramref name="module"/>.</summary>
    public JsonObject Resource(string module, string type) => Resources(Module(module), type).Single();

    /// <summary>The app settings of the Function App, name to value (ARM expression text), as the template declares them.</summary>
    public IReadOnlyDictionary<string, string> AppSettings()
        => Module("functionapp")["variables"]!["appSettings"]!.AsArray()
            .ToDictionary(s => (string)s!["name"]!, s => (string)s!["value"]!, StringComparer.Ordinal);

    private JsonObject ModuleDeployment(string name)
        => Resources(Main, "Microsoft.Resources/deployments").Single(r => (string?)r["name"] == name);

    private static JsonObject Build(string file)
    {
        var run = BicepCli.Run("build", file, "--stdout");
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build {file} failed:\n{run.Output}");
        }

        return JsonNode.Parse(run.StandardOutput)!.AsObject();
    }

    private static IReadOnlyDictionary<string, JsonObject> BuildParameters()
    {
        var result = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(BicepCli.InfraDirectory, "*.bicepparam"))
        {
            var run = BicepCli.Run("build-params", Path.GetFileName(path), "--stdout");
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"bicep build-params {path} failed:\n{run.Output}");
            }

            // --stdout wraps the parameters file: {"parametersJson": "...", "templateJson": ...}.
            var wrapper = JsonNode.Parse(run.StandardOutput)!.AsObject();
            result[Path.GetFileName(path)] = JsonNode.Parse((string)wrapper["parametersJson"]!)!.AsObject();
        }

        return result;
    }
}

/// <summary>Shares one <see cref="CompiledTemplates"/> between the test classes.</summary>
[CollectionDefinition(Name)]
public sealed class CompiledTemplatesCollection : ICollectionFixture<CompiledTemplates>
{
    /// <summary>The collection name.</summary>
    public const string Name = "compiled templates";
}
