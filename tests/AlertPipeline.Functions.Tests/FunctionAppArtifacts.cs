using System.Text.Json;

namespace AlertPipeline.Functions.Tests;

/// <summary>The Function app's built artifacts, copied from its output folder by the test project (see the csproj).</summary>
internal static class FunctionAppArtifacts
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "FunctionsApp");

    public static JsonDocument Load(string fileName)
    {
        var path = Path.Combine(Directory, fileName);
        Assert.True(File.Exists(path), $"{path} is missing: the Function app's build did not produce it");
        return JsonDocument.Parse(File.ReadAllText(path));
    }
}
