"""The licences facilities put their open data under: SPDX ids with their names and canonical URLs."""

SPDX = "https://spdx.org/licenses/"

# SPDX ids of the licences facilities use for open data, with their names and canonical URLs.
LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "CC-BY-SA-4.0": (
        "Creative Commons Attribution Share Alike 4.0 International",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    "CC-BY-NC-4.0": (
        "Creative Commons Attribution Non Commercial 4.0 International",
        "https://creativecommons.org/licenses/by-nc/4.0/",
    ),
    "ODbL-1.0": ("Open Data Commons Open Database License v1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}


def licence_details(licence: str) -> tuple[str, str]:
    """(name, url) of an SPDX licence id; unknown ids keep their id as name and SPDX's page as url."""
    name, url = LICENCES.get(licence, (licence, None))
    return name, url or f"{SPDX}{licence}.html"
