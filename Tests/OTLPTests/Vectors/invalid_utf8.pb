

	badÃ(name