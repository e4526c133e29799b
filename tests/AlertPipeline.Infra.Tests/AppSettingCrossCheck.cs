using AlertPipeline.Adapters;

namespace AlertPipeline.Infra.Tests;

/// <summary>Compares the code's list of app settings (<see cref="AppSettings.All"/>) with a template's app settings.</summary>
internal static class AppSettingCrossCheck
{
    private const string KeyVaultReference = "@Microsoft.KeyVault(";

    /// <summary>Settings the code reads that a deployment must set and the template lacks.</summary>
    public static IReadOnlyList<string> MissingFromTemplate(IEnumerable<AppSetting> code, IEnumerable<string> templateNames)
    {
        var template = templateNames.ToHashSet(StringComparer.Ordinal);
        return [.. code.Where(s => s.Kind is AppSettingKind.Value or AppSettingKind.Secret)
            .Select(s => s.Name)
            .Where(name => !template.Contains(name))];
    }

    /// <summary>Template settings the code does not read (a typo, a stale name) or that must not be set in Azure (a connection string form).</summary>
    public static IReadOnlyList<string> UnknownInTemplate(IEnumerable<AppSetting> code, IEnumerable<string> templateNames)
    {
        var deployable = code.Where(s => s.Kind is AppSettingKind.Value or AppSettingKind.Secret)
            .Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        return [.. templateNames.Where(name => !deployable.Contains(name))];
    }

    /// <summary>Secret settings whose template value is not a Key Vault reference (or empty, for a channel switched off).</summary>
    public static IReadOnlyList<string> SecretsNotFromKeyVault(IEnumerable<AppSetting> code, IReadOnlyDictionary<string, string> template)
        => [.. code.Where(s => s.Kind == AppSettingKind.Secret)
            .Where(s => !template.TryGetValue(s.Name, out var value) || !value.Contains(KeyVaultReference, StringComparison.Ordinal))
            .Select(s => s.Name)];
}
