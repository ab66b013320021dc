"""The project office: the web app people use to record facts and see where a project stands."""
