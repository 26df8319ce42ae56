"""The catalogue: organizations, groups, datasets, resources, tags, licences, activity."""
