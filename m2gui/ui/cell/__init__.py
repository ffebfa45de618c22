"""The mirror cell views: live mirror map, actuators, forces, hardpoints, rigid body, utility."""
